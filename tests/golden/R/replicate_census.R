# Reference numbers for totals from jackknife designs with a census stratum (every PSU of
# the stratum sampled, so its finite population correction is zero) in amargah.stats.
# R's svytotal for replicate designs leaves the rows of such strata out of the replicate
# totals under its default option survey.drop.replicates = TRUE (its svymean keeps
# them). That changes nothing for unweighted replicates centred on their mean, but with
# mse = TRUE every replicate total misses the census stratum's total, and after
# post-stratification it misses how the stratum's weights vary between replicates.
# Amargah keeps every row, as R does with survey.drop.replicates = FALSE: those are the
# reference numbers; R's default ones are written beside them for the record.
# Synthetic data: 4 strata, the first a census of 3 PSUs, the others 4 of 10 PSUs each,
# 3 rows a PSU. Run from the repository root:
#   Rscript tests/golden/R/replicate_census.R
# Writes tests/golden/replicate_census.json, tests/golden/data/census_stratum.csv and
# tests/golden/data/census_g.csv.
# survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
set.seed(11)
psus <- c(3, 4, 4, 4)
population <- c(3, 10, 10, 10)
units <- do.call(rbind, lapply(seq_along(psus), function(h) {
  expand.grid(row = 1:3, psu = seq_len(psus[h]), h = h)
}))
units$N <- population[units$h]
units$w <- round(units$N / psus[units$h] * runif(nrow(units), 1.5, 2.5), 3)
units$y <- round(rgamma(nrow(units), 3, 0.1), 2)
units$g <- sample(c("a", "b"), nrow(units), TRUE)
units$dom <- sample(c("x", "z"), nrow(units), TRUE)
units <- units[, c("h", "psu", "row", "N", "w", "y", "g", "dom")]
write.csv(units, file.path(dir, "census_stratum.csv"), row.names = FALSE)
g <- data.frame(g = c("a", "b"), Freq = round(sum(units$w) * c(0.45, 0.6)))
write.csv(g, file.path(dir, "census_g.csv"), row.names = FALSE)

design <- svydesign(id = ~psu, strata = ~h, fpc = ~N, weights = ~w, nest = TRUE, data = units)
estimates <- function(rep, statistic, by) {
  fun <- if (statistic == "total") svytotal else svymean
  if (is.null(by)) {
    st <- fun(~y, rep)
    return(list(list(domain = NULL, estimate = unname(coef(st)), se = unname(SE(st)))))
  }
  lapply(sort(unique(units[[by]])), function(level) {
    st <- fun(~y, subset(rep, dom == level))
    list(domain = setNames(list(level), by), estimate = unname(coef(st)),
         se = unname(SE(st)))
  })
}
cases <- list()
for (mse in c(FALSE, TRUE)) {
  for (weighting in c("none", "poststratify")) {
    rep <- as.svrepdesign(design, type = "JKn", mse = mse)
    stopifnot(sum(rep$selfrep) == 9)
    if (weighting == "poststratify") rep <- postStratify(rep, ~g, g)
    for (statistic in c("total", "mean")) {
      for (by in list(NULL, "dom")) {
        options(survey.drop.replicates = FALSE)
        kept <- estimates(rep, statistic, by)
        options(survey.drop.replicates = TRUE)
        dropped <- estimates(rep, statistic, by)
        cases[[length(cases) + 1]] <- list(
          mse = mse, weighting = weighting, statistic = statistic, by = by,
          rows = kept, r_default_se = sapply(dropped, function(r) r$se))
      }
    }
  }
}
writeLines(toJSON(list(source = "survey 4.1.1, tests/golden/R/replicate_census.R",
                       cases = cases),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           "tests/golden/replicate_census.json")
