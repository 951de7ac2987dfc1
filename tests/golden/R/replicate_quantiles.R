# Reference numbers for quantiles on replicate designs and their degrees of freedom in
# amargah.stats (R's svyquantile on svyrep designs, interval.type "mean", and degf).
# Run from the repository root after tests/golden/R/replicates.R:
#   Rscript tests/golden/R/replicate_quantiles.R
# Writes tests/golden/replicate_quantiles.json. survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = "")
case <- function(name, data_name, r_design, python_design, replicates, variable, probs,
                 by = NULL) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  domains <- if (is.null(by)) list(NULL) else
    lapply(sort(unique(data[[by]])), function(v) setNames(list(v), by))
  out <- list()
  for (dom in domains) {
    idx <- rep(TRUE, nrow(data))
    for (b in names(dom)) idx <- idx & data[[b]] == dom[[b]]
    sub <- des[idx, ]
    q <- svyquantile(as.formula(paste0("~", variable)), sub, probs)[[1]]
    for (k in seq_along(probs)) out[[length(out) + 1]] <- list(
      term = probs[k], domain = dom, estimate = q[k, 1], ci_lower = q[k, 2],
      ci_upper = q[k, 3], se = q[k, 4])
  }
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, replicates = replicates, variable = variable, probs = probs,
       by = by, degf = degf(des), estimates = out)
}
nh_py <- list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE)
cases <- list(
  case("nhanes_jkn", "nhanes",
       "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='JKn')",
       nh_py, list(method = "jkn"), "WTMEC2YR", c(0.25, 0.5), by = "RIAGENDR"),
  case("nhanes_brr", "nhanes_brr",
       "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='BRR')",
       nh_py, list(method = "brr"), "WTMEC2YR", c(0.5, 0.9)),
  case("election_jk1", "election_pps",
       "as.svrepdesign(svydesign(ids=~1, probs=~p, data=data), type='JK1')",
       list(ids = "1", probs = "p"), list(method = "jk1"), "Kerry", c(0.25, 0.5, 0.75))
)
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")),
                           "; tests/golden/R/replicate_quantiles.R"), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE, null = "null",
                  na = "string"), "tests/golden/replicate_quantiles.json")
