# Reference numbers for calibrated designs in amargah.stats (R's calibrate, linear and
# raking). Run from the repository root after tests/golden/R/taylor.R:
#   Rscript tests/golden/R/calibrate.R
# Writes tests/golden/calibrate.json. survey 4.1.1. The population totals are made up
# for the test and recorded in the JSON.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = "")

req <- function(statistic, variable, denominator = NULL, by = NULL, na_rm = FALSE,
                categorical = FALSE, probs = NULL) {
  list(statistic = statistic, variable = variable, denominator = denominator, by = by,
       na_rm = na_rm, categorical = categorical, probs = probs)
}

run_one <- function(des, data, r) {
  domains <- list(NULL)
  if (!is.null(r$by)) {
    combos <- unique(data[, r$by, drop = FALSE])
    combos <- combos[complete.cases(combos), , drop = FALSE]
    domains <- lapply(seq_len(nrow(combos)), function(i) as.list(combos[i, , drop = FALSE]))
  }
  out <- list()
  for (dom in domains) {
    idx <- rep(TRUE, nrow(data))
    for (b in names(dom)) idx <- idx & !is.na(data[[b]]) & data[[b]] == dom[[b]]
    # a calibrated design keeps every row when subset, so na.rm is passed on
    sub <- des[idx, ]
    terms <- list(NULL)
    if (r$statistic == "ratio") {
      st <- svyratio(as.formula(paste0("~", r$variable)), as.formula(paste0("~", r$denominator)),
                     sub, na.rm = r$na_rm)
      est <- as.vector(coef(st)); se <- as.vector(SE(st))
      variable <- paste0(r$variable, "/", r$denominator)
    } else if (r$statistic == "quantile") {
      q <- svyquantile(as.formula(paste0("~", r$variable)), sub, r$probs, ci = TRUE,
                       na.rm = r$na_rm)[[1]]
      est <- q[, 1]; se <- q[, 4]; terms <- as.list(r$probs); variable <- r$variable
    } else {
      if (r$categorical) {
        sub <- update(sub, .v = factor(get(r$variable)))
        fml <- ~.v
      } else fml <- as.formula(paste0("~", r$variable))
      fun <- if (r$statistic == "total") svytotal else svymean
      st <- fun(fml, sub, na.rm = r$na_rm)
      est <- as.vector(coef(st)); se <- as.vector(SE(st))
      if (r$categorical) terms <- as.list(sub("^\\.v", "", names(coef(st))))
      variable <- r$variable
    }
    for (k in seq_along(est)) {
      out[[length(out) + 1]] <- list(statistic = r$statistic, variable = variable,
                                     term = terms[[k]], domain = dom, estimate = est[k], se = se[k])
    }
  }
  out
}

case <- function(name, data_name, r_design, python_design, formula, totals, calfun, requests) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  if (grepl("agecat", formula)) des <- update(des, agecat = factor(agecat))
  if (grepl("sex", formula)) des <- update(des, sex = factor(sex))
  des <- calibrate(des, as.formula(formula), totals, calfun = calfun, epsilon = 1e-12, maxit = 100)
  results <- lapply(requests, function(r) list(request = r, estimates = run_one(des, data, r)))
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, formula = formula, totals = as.list(totals), calfun = calfun,
       results = results)
}

nh_totals <- c(`(Intercept)` = 288e6, `agecat(19,39]` = 80e6, `agecat(39,59]` = 75e6,
               `agecat(59,Inf]` = 50e6, RIAGENDR = 140e6 + 2 * 148e6)
syn_totals <- c(`(Intercept)` = 5100, x = 5100 * 40, sexM = 2500)
nh_requests <- list(req("mean", "HI_CHOL", na_rm = TRUE),
                    req("total", "HI_CHOL", na_rm = TRUE),
                    req("mean", "HI_CHOL", by = "race", na_rm = TRUE),
                    req("proportion", "race", by = "RIAGENDR", categorical = TRUE))
syn_requests <- list(req("total", "y", na_rm = TRUE), req("mean", "y", by = "region", na_rm = TRUE),
                     req("ratio", "y", "x", na_rm = TRUE),
                     req("proportion", "region", na_rm = TRUE, categorical = TRUE),
                     req("quantile", "age", probs = c(0.25, 0.5)))
nh_call <- "svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data)"
nh_py <- list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE)
cases <- list(
  case("nhanes_linear", "nhanes", nh_call, nh_py, "~agecat+RIAGENDR", nh_totals, "linear",
       nh_requests),
  case("nhanes_raking", "nhanes", nh_call, nh_py, "~agecat+RIAGENDR", nh_totals, "raking",
       nh_requests),
  case("synthetic_two_stage_linear", "synthetic",
       "svydesign(ids=~psu_ok+ssu, strata=~stratum_ok, weights=~w, fpc=~N1_ok+N2, nest=TRUE, data=data)",
       list(ids = "psu_ok+ssu", strata = "stratum_ok", weights = "w", fpc = "N1_ok+N2", nest = TRUE),
       "~x+sex", syn_totals, "linear", syn_requests),
  case("synthetic_derived_raking", "synthetic",
       "svydesign(ids=~psu_ok+ssu, strata=~stratum_ok, fpc=~f1_ok+f2, nest=TRUE, data=data)",
       list(ids = "psu_ok+ssu", strata = "stratum_ok", fpc = "f1_ok+f2", nest = TRUE),
       "~x+sex", syn_totals, "raking", syn_requests)
)
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")), "; tests/golden/R/calibrate.R"),
            cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "string",
                  pretty = TRUE),
           "tests/golden/calibrate.json")
cat("cases:", length(cases), "\n")
