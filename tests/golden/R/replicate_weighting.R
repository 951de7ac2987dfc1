# Reference numbers for weighting steps applied to replicate designs in amargah.stats
# (R's postStratify, rake and linear calibrate of a svyrep.design: every replicate's
# weights are rescaled to the population sizes, raked with as many sweeps as the full
# sample, or calibrated to the totals). Run from the repository root after tests/golden/R/replicates.R:
#   Rscript tests/golden/R/replicate_weighting.R
# Writes tests/golden/replicate_weighting.json. survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = "")

req <- function(statistic, variable, denominator = NULL, by = NULL, na_rm = FALSE,
                categorical = FALSE) {
  list(statistic = statistic, variable = variable, denominator = denominator, by = by,
       na_rm = na_rm, categorical = categorical)
}

estimates <- function(des, data, r) {
  domains <- list(NULL)
  if (!is.null(r$by)) {
    levels <- sort(unique(data[[r$by]][!is.na(data[[r$by]])]))
    domains <- lapply(levels, function(v) setNames(list(v), r$by))
  }
  out <- list()
  for (dom in domains) {
    idx <- rep(TRUE, nrow(data))
    for (b in names(dom)) idx <- idx & !is.na(data[[b]]) & data[[b]] == dom[[b]]
    sub <- des[idx, ]
    terms <- list(NULL)
    if (r$statistic == "ratio") {
      st <- svyratio(as.formula(paste0("~", r$variable)), as.formula(paste0("~", r$denominator)),
                     sub, na.rm = r$na_rm)
      est <- as.vector(coef(st)); se <- as.vector(SE(st))
      variable <- paste0(r$variable, "/", r$denominator)
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

case <- function(name, data_name, r_design, python_design, method, strata, population, requests) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  des <- postStratify(des, as.formula(paste0("~", paste(strata, collapse = "+"))), population)
  results <- lapply(requests, function(r) list(request = r, estimates = estimates(des, data, r)))
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, replicates = method, strata = strata, population = population,
       results = results)
}

rake_case <- function(name, data_name, r_design, python_design, method, margins, requests) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  des <- rake(des, lapply(margins, function(m) as.formula(paste0("~", names(m)[1]))), margins)
  results <- lapply(requests, function(r) list(request = r, estimates = estimates(des, data, r)))
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, replicates = method, margins = margins, results = results)
}

calibrate_case <- function(name, data_name, r_design, python_design, method, formula, totals,
                           requests) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  if (grepl("sex", formula)) des <- update(des, sex = factor(sex))
  des <- calibrate(des, as.formula(formula), totals, calfun = "linear")
  results <- lapply(requests, function(r) list(request = r, estimates = estimates(des, data, r)))
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, replicates = method, formula = formula, totals = as.list(totals),
       results = results)
}

nh_pop <- data.frame(RIAGENDR = c(1, 2), Freq = c(140e6, 148e6))
nh_race_sex <- expand.grid(race = 1:4, RIAGENDR = 1:2)
nh_race_sex$Freq <- c(20, 75, 12, 9, 21, 78, 12, 10) * 1e6
syn_pop <- data.frame(sex = c("F", "M"), Freq = c(2600, 2500))

nh_requests <- list(req("mean", "HI_CHOL", na_rm = TRUE),
                    req("total", "HI_CHOL", na_rm = TRUE),
                    req("mean", "HI_CHOL", by = "race", na_rm = TRUE),
                    req("total", "RIAGENDR"),
                    req("proportion", "agecat", categorical = TRUE))
syn_requests <- list(req("total", "x"), req("mean", "y", by = "region", na_rm = TRUE),
                     req("ratio", "y", "x", na_rm = TRUE),
                     req("total", "sex", categorical = TRUE),
                     req("proportion", "region", na_rm = TRUE, categorical = TRUE))

cases <- list(
  case("synthetic_jkn_by_sex", "synthetic",
       "as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data), type='JKn')",
       list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE), "jkn",
       "sex", syn_pop, syn_requests),
  case("synthetic_jk1_by_sex", "synthetic",
       "as.svrepdesign(svydesign(ids=~psu_global, weights=~w, data=data), type='JK1')",
       list(ids = "psu_global", weights = "w"), "jk1",
       "sex", syn_pop, syn_requests),
  case("nhanes_jkn_by_sex", "nhanes",
       "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='JKn')",
       list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE), "jkn",
       "RIAGENDR", nh_pop, nh_requests),
  case("nhanes_brr_by_race_sex", "nhanes_brr",
       "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='BRR')",
       list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE), "brr",
       c("race", "RIAGENDR"), nh_race_sex, nh_requests),
  rake_case("nhanes_jkn_raked_sex_race", "nhanes",
            "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='JKn')",
            list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE), "jkn",
            list(data.frame(RIAGENDR = c(1, 2), Freq = c(140e6, 148e6)),
                 data.frame(race = 1:4, Freq = c(41, 153, 24, 19) * 1e6 + c(0, 0, 0, 51e6))),
            nh_requests),
  rake_case("synthetic_jk1_raked_sex_employed", "synthetic",
            "as.svrepdesign(svydesign(ids=~psu_global, weights=~w, data=data), type='JK1')",
            list(ids = "psu_global", weights = "w"), "jk1",
            list(data.frame(sex = c("F", "M"), Freq = c(2600, 2500)),
                 data.frame(employed = c(0, 1), Freq = c(2000, 3100))),
            syn_requests),
  calibrate_case("synthetic_jkn_calibrated", "synthetic",
                 "as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data), type='JKn')",
                 list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE), "jkn",
                 "~x+sex", c(`(Intercept)` = 5100, x = 5100 * 40, sexM = 2500),
                 syn_requests[c(1, 2, 3, 5)]),
  calibrate_case("nhanes_brr_calibrated", "nhanes_brr",
                 "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='BRR')",
                 list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE), "brr",
                 "~RIAGENDR", c(`(Intercept)` = 237e6, RIAGENDR = 115e6 + 2 * 122e6),
                 nh_requests)
)
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")),
                           "; tests/golden/R/replicate_weighting.R"),
            cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "string",
                  pretty = TRUE, dataframe = "rows"),
           "tests/golden/replicate_weighting.json")
cat("cases:", length(cases), "\n")
