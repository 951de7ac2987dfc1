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
                 by = NULL, na_rm = FALSE, post = NULL, cal = NULL) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  if (!is.null(post)) {
    population <- data.frame(setNames(list(post$levels), post$column), Freq = post$freq)
    des <- postStratify(des, as.formula(paste0("~", post$column)), population)
  }
  if (!is.null(cal)) des <- calibrate(des, as.formula(cal$formula), unlist(cal$totals))
  domains <- if (is.null(by)) list(NULL) else
    lapply(sort(unique(data[[by]])), function(v) setNames(list(v), by))
  out <- list()
  for (dom in domains) {
    idx <- rep(TRUE, nrow(data))
    for (b in names(dom)) idx <- idx & !is.na(data[[b]]) & data[[b]] == dom[[b]]
    sub <- des[idx, ]
    q <- svyquantile(as.formula(paste0("~", variable)), sub, probs, na.rm = na_rm)[[1]]
    # the degrees of freedom svyquantile uses: those of the subset it keeps
    used <- if (na_rm) sub[!is.na(data[[variable]][idx]), ] else sub
    for (k in seq_along(probs)) out[[length(out) + 1]] <- list(
      term = probs[k], domain = dom, estimate = q[k, 1], ci_lower = q[k, 2],
      ci_upper = q[k, 3], se = q[k, 4], degf = degf(used))
  }
  python_post <- if (is.null(post)) NULL else list(
    column = post$column,
    population = lapply(seq_along(post$levels), function(i)
      setNames(list(post$levels[i], post$freq[i]), c(post$column, "Freq"))))
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, replicates = replicates, variable = variable, probs = probs,
       by = by, na_rm = na_rm, poststratify = python_post, calibrate = cal, degf = degf(des),
       estimates = out)
}
# the scale of the bootstrap weights that tests/golden/R/replicates.R wrote (its boot$scale)
boot_scale <- Filter(function(c) c$name == "synthetic_user_bootstrap",
                     fromJSON("tests/golden/replicates.json", simplifyVector = FALSE)$cases)[[1]]$replicates$scale
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
       list(ids = "1", probs = "p"), list(method = "jk1"), "Kerry", c(0.25, 0.5, 0.75)),
  # domains that miss PSUs: R's svyby takes each subset's own degf (rank of its
  # replicate weights, less one), and with na.rm that of the rows left
  case("synthetic_jkn_by_region", "synthetic",
       "as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data), type='JKn')",
       list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE),
       list(method = "jkn"), "y", c(0.25, 0.5), by = "region", na_rm = TRUE),
  case("synthetic_jk1_by_region", "synthetic",
       "as.svrepdesign(svydesign(ids=~psu_global, weights=~w, data=data), type='JK1')",
       list(ids = "psu_global", weights = "w"), list(method = "jk1"), "x", c(0.5), by = "region"),
  case("synthetic_jkn_poststratified_by_region", "synthetic",
       "as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data), type='JKn')",
       list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE),
       list(method = "jkn"), "y", c(0.5), by = "region", na_rm = TRUE,
       post = list(column = "sex", levels = c("F", "M"), freq = c(2600, 2500))),
  case("synthetic_user_bootstrap_by_region", "synthetic_boot",
       sprintf("svrepdesign(weights=~w, repweights='rw[0-9]+', type='bootstrap', scale=%.17g, rscales=1, combined.weights=TRUE, data=data)", boot_scale),
       list(weights = "w"),
       list(columns = "^rw[0-9]+$", method = "bootstrap", scale = boot_scale), "y", c(0.5),
       by = "region", na_rm = TRUE),
  case("synthetic_jkn_calibrated_by_region", "synthetic",
       "as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data), type='JKn')",
       list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE),
       list(method = "jkn"), "y", c(0.5), by = "region", na_rm = TRUE,
       cal = list(formula = "~x+sex",
                  totals = list(`(Intercept)` = 5100, x = 5100 * 40, sexM = 2500))),
  case("synthetic_jkn_calibrated_sex_by_region", "synthetic",
       "as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data), type='JKn')",
       list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE),
       list(method = "jkn"), "y", c(0.5), by = "region", na_rm = TRUE,
       cal = list(formula = "~sex", totals = list(`(Intercept)` = 5100, sexM = 2500))),
  case("nhanes_brr_by_agecat", "nhanes_brr",
       "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='BRR')",
       nh_py, list(method = "brr"), "WTMEC2YR", c(0.5), by = "agecat")
)
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")),
                           "; tests/golden/R/replicate_quantiles.R"), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE, null = "null",
                  na = "string"), "tests/golden/replicate_quantiles.json")
