# Reference numbers for edge cases of jackknife designs in amargah.stats: a second-stage
# stratum with a single unit (JK1 uses the first stage only, so R makes the replicates),
# domains that one replicate leaves without weight (R's svrVar drops that replicate's NA
# estimate) and a ciprop whose level one replicate leaves out of the domain. Run from
# the repository root: Rscript tests/golden/R/replicate_edges.R
# Writes tests/golden/replicate_edges.json and tests/golden/data/mu284_edges.csv.
# survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
mu <- read.csv(file.path(dir, "mu284.csv"))
# cluster 19 keeps one of its three sampled units: a lonely stratum at stage 2
mu <- mu[!(mu$id1 == 19 & mu$id2 > 1), ]
# domain "a" lies in cluster 45 only; "b" in the four others
mu$dom <- ifelse(mu$id1 == 45, "a", "b")
# "yes" only in cluster 31: the replicate without it has no "yes" in domain "b"
mu$big <- ifelse(mu$id1 == 31 & mu$y1 > 40, "yes", "no")
write.csv(mu, file.path(dir, "mu284_edges.csv"), row.names = FALSE)

two_stage <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mu)
# under survey.lonely.psu = "fail" the linearised variance refuses the lonely stratum
taylor <- tryCatch(SE(svymean(~y1, two_stage)), error = function(e) conditionMessage(e))
stopifnot(is.character(taylor))

out <- list()
add <- function(name, mse, statistic, rep, by = NULL) {
  fun <- if (statistic == "total") svytotal else svymean
  if (is.null(by)) {
    st <- fun(~y1, rep)
    rows <- list(list(domain = NULL, estimate = unname(coef(st)), se = unname(SE(st))))
  } else {
    st <- suppressWarnings(svyby(~y1, ~dom, rep, fun))
    rows <- lapply(seq_len(nrow(st)), function(i) list(
      domain = list(dom = st$dom[i]), estimate = st$y1[i], se = st$se[i]))
  }
  out[[length(out) + 1]] <<- list(name = name, mse = mse, statistic = statistic,
                                  df = degf(rep), rows = rows)
}
for (mse in c(FALSE, TRUE)) {
  rep <- as.svrepdesign(two_stage, type = "JK1", mse = mse)
  add("lonely_second_stage", mse, "mean", rep)
  add("lonely_second_stage", mse, "total", rep)
  add("domain_in_one_psu", mse, "mean", rep, by = "dom")
  add("domain_in_one_psu", mse, "total", rep, by = "dom")
}
# ciprop in domain "b": the share's SE (R's interval comes from a logistic fit that
# stops short of an infinite logit on the replicate without "yes"; Amargah's is [0, 1]).
# Domain "a" is left out: there R's fit fails on the replicate without the domain.
rep <- as.svrepdesign(two_stage, type = "JK1")
cp <- suppressWarnings(svyciprop(~I(big == "yes"), subset(rep, dom == "b"), method = "logit"))
ciprop <- list(domain = list(dom = "b"), estimate = as.numeric(coef(cp)), se = as.numeric(SE(cp)),
               ci = as.numeric(confint(cp)))

writeLines(toJSON(list(source = "survey 4.1.1, tests/golden/R/replicate_edges.R",
                       taylor_error = taylor, cases = out, ciprop = ciprop),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           "tests/golden/replicate_edges.json")
