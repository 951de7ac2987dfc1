# Reference numbers for BRR and Fay designs whose strata have more than two PSUs in
# amargah.stats. R's brrweights (as.svrepdesign with type "BRR" or "Fay") splits a
# stratum with an even number of PSUs into pairs, by default (large = "split"): the PSUs
# in the order they first appear in the data, numbered before the strata of two, each
# group in the sorted order of the stratum labels. That numbering picks each pair's row
# of the Hadamard matrix, so it changes the SEs of means and quantiles.
# Synthetic data: 5 strata labelled so that the split ones (4 and 6 PSUs) are neither
# first nor last in sorted order, PSUs listed out of order, 2 to 4 rows a PSU. Run from
# the repository root:
#   Rscript tests/golden/R/brr_split.R
# Writes tests/golden/brr_split.json and tests/golden/data/brr_split.csv.
# survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
set.seed(29)
labels <- c("b", "d", "a", "e", "c")
psus <- c(2, 4, 2, 6, 2)
units <- do.call(rbind, lapply(seq_along(psus), function(h) {
  do.call(rbind, lapply(sample(seq_len(psus[h])), function(p) {
    rows <- sample(2:4, 1)
    data.frame(h = labels[h], psu = p, row = seq_len(rows))
  }))
}))
units$w <- round(runif(nrow(units), 5, 15), 3)
units$y <- round(rgamma(nrow(units), 3, 0.1), 2)
units$x <- round(units$y * runif(nrow(units), 0.5, 1.5) + 5, 2)
units$dom <- sample(c("u", "v"), nrow(units), TRUE)
write.csv(units, file.path(dir, "brr_split.csv"), row.names = FALSE)

design <- svydesign(id = ~psu, strata = ~h, weights = ~w, nest = TRUE, data = units)
row_of <- function(st, domain = NULL) {
  list(domain = domain, estimate = unname(coef(st))[1], se = unname(SE(st))[1])
}
cases <- list()
for (type in c("BRR", "Fay")) {
  rep <- if (type == "Fay") {
    as.svrepdesign(design, type = "Fay", fay.rho = 0.3)
  } else {
    as.svrepdesign(design, type = "BRR")
  }
  for (mse in c(FALSE, TRUE)) {
    rep$mse <- mse
    rows <- list(
      mean = list(row_of(svymean(~y, rep))),
      total = list(row_of(svytotal(~y, rep))),
      ratio = list(row_of(svyratio(~y, ~x, rep))),
      domain_mean = lapply(c("u", "v"), function(level) {
        row_of(svymean(~y, subset(rep, dom == level)), list(dom = level))
      })
    )
    q <- svyquantile(~y, rep, 0.5, ci = TRUE)
    ci <- confint(q)
    rows$median <- list(list(domain = NULL, estimate = unname(coef(q))[1],
                             se = unname(SE(q))[1], ci_lower = ci[1, 1], ci_upper = ci[1, 2]))
    cases[[length(cases) + 1]] <- list(
      type = type, fay_rho = if (type == "Fay") 0.3 else 0, mse = mse,
      replicates = ncol(rep$repweights$weights), df = degf(rep), rows = rows
    )
  }
}
odd <- units[!(units$h == "e" & units$psu == 6), ]
failure <- tryCatch({
  as.svrepdesign(svydesign(id = ~psu, strata = ~h, weights = ~w, nest = TRUE, data = odd),
                 type = "BRR")
  ""
}, error = function(e) conditionMessage(e))
write_json(list(survey = as.character(packageVersion("survey")), cases = cases,
                odd_stratum_error = failure),
           "tests/golden/brr_split.json", auto_unbox = TRUE, digits = NA, pretty = TRUE,
           null = "null")
