# Reference numbers for post-stratified designs in amargah.stats (R's postStratify).
# Run from the repository root after tests/golden/R/taylor.R:
#   Rscript tests/golden/R/poststratify.R
# Writes tests/golden/poststratify.json. survey 4.1.1. Population sizes are made up
# for the test (they only need to be plausible), and are recorded in the JSON.
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
    # a post-stratified design keeps every row when subset, so na.rm is passed on
    sub <- des[idx, ]
    terms <- list(NULL)
    if (r$statistic == "ratio") {
      st <- svyratio(as.formula(paste0("~", r$variable)), as.formula(paste0("~", r$denominator)), sub,
                     na.rm = r$na_rm)
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

case <- function(name, data_name, r_design, python_design, strata, population, requests) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  des <- postStratify(des, as.formula(paste0("~", paste(strata, collapse = "+"))), population)
  results <- lapply(requests, function(r) list(request = r, estimates = run_one(des, data, r)))
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, strata = strata, population = population, results = results)
}

nh_pop <- data.frame(RIAGENDR = c(1, 2), Freq = c(140e6, 148e6))
nh_race_sex <- expand.grid(race = 1:4, RIAGENDR = 1:2)
nh_race_sex$Freq <- c(20, 75, 12, 9, 21, 78, 12, 10) * 1e6
syn_pop <- data.frame(sex = c("F", "M"), Freq = c(2600, 2500))

nh_requests <- list(req("mean", "HI_CHOL", na_rm = TRUE),
                    req("total", "HI_CHOL", na_rm = TRUE),
                    req("mean", "HI_CHOL", by = "race", na_rm = TRUE),
                    req("proportion", "agecat", by = "RIAGENDR", categorical = TRUE),
                    req("total", "agecat", categorical = TRUE))
syn_requests <- list(req("total", "x"), req("mean", "y", by = "region", na_rm = TRUE),
                     req("ratio", "y", "x", na_rm = TRUE),
                     req("proportion", "region", na_rm = TRUE, categorical = TRUE),
                     req("quantile", "x", probs = c(0.25, 0.5)))

cases <- list(
  case("nhanes_by_sex", "nhanes",
       "svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data)",
       list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE),
       "RIAGENDR", nh_pop, nh_requests),
  case("nhanes_by_race_sex", "nhanes",
       "svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data)",
       list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE),
       c("race", "RIAGENDR"), nh_race_sex, nh_requests),
  case("synthetic_two_stage_fpc", "synthetic",
       "svydesign(ids=~psu_ok+ssu, strata=~stratum_ok, weights=~w, fpc=~N1_ok+N2, nest=TRUE, data=data)",
       list(ids = "psu_ok+ssu", strata = "stratum_ok", weights = "w", fpc = "N1_ok+N2", nest = TRUE),
       "sex", syn_pop, syn_requests),
  case("synthetic_derived_weights", "synthetic",
       "svydesign(ids=~psu_ok+ssu, strata=~stratum_ok, fpc=~f1_ok+f2, nest=TRUE, data=data)",
       list(ids = "psu_ok+ssu", strata = "stratum_ok", fpc = "f1_ok+f2", nest = TRUE),
       "sex", syn_pop, syn_requests)
)
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")), "; tests/golden/R/poststratify.R"),
            cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "string",
                  pretty = TRUE, dataframe = "rows"),
           "tests/golden/poststratify.json")
cat("cases:", length(cases), "\n")
