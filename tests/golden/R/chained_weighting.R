# Reference numbers for chained weighting steps in amargah.stats: R's postStratify,
# rake and calibrate applied one after another (each sized on the weights the previous
# step left; svyrecvar takes the residuals of every step in order), on Taylor designs
# and on JKn, JK1 and BRR replicate designs (every replicate re-weighted by every step).
# Nonresponse adjustment is, as in tests/golden/R/nonresponse.R, R's postStratify of the
# respondents to the classes' full-sample weighted totals.
# Run from the repository root after tests/golden/R/replicates.R and nonresponse.R:
#   Rscript tests/golden/R/chained_weighting.R
# Writes tests/golden/chained_weighting.json. survey 4.1.1. The population sizes and
# totals are made up for the test and recorded in the JSON.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = "")

req <- function(statistic, variable, by = NULL, na_rm = FALSE, probs = NULL) {
  list(statistic = statistic, variable = variable, by = by, na_rm = na_rm, probs = probs)
}

estimates <- function(des, r) {
  data <- des$variables  # the design's rows (the respondents after nonresponse)
  domains <- list(NULL)
  if (!is.null(r$by)) {
    levels <- sort(unique(data[[r$by]][!is.na(data[[r$by]])]))
    domains <- lapply(levels, function(v) setNames(list(v), r$by))
  }
  out <- list()
  for (dom in domains) {
    idx <- rep(TRUE, nrow(data))
    for (b in names(dom)) idx <- idx & !is.na(data[[b]]) & data[[b]] == dom[[b]]
    # the whole design as it is, a domain as svyby takes it (a subset, whose degf R
    # recomputes; after a raking calibration R keeps the whole design's from before)
    sub <- if (is.null(dom)) des else des[idx, ]
    fml <- as.formula(paste0("~", r$variable))
    if (r$statistic == "quantile") {
      q <- svyquantile(fml, sub, r$probs, ci = TRUE, na.rm = r$na_rm)[[1]]
      for (k in seq_along(r$probs)) out[[length(out) + 1]] <- list(
        term = r$probs[k], domain = dom, estimate = q[k, 1], se = q[k, 4],
        ci_lower = q[k, 2], ci_upper = q[k, 3])
      next
    }
    fun <- if (r$statistic == "total") svytotal else svymean
    st <- fun(fml, sub, na.rm = r$na_rm)
    out[[length(out) + 1]] <- list(term = NULL, domain = dom, estimate = coef(st)[[1]],
                                   se = SE(st)[[1]])
  }
  out
}

margin_formula <- function(step) as.formula(paste0("~", paste(step$columns, collapse = "+")))

apply_step <- function(des, step) {
  if (step$kind == "poststratify") {
    return(postStratify(des, margin_formula(step), step$population))
  }
  if (step$kind == "rake") {
    return(rake(des, lapply(step$margins, function(m) as.formula(paste0("~", names(m)[1]))),
                step$margins))
  }
  if (step$kind == "calibrate") {
    # survey 4.1.1's calibrate of a svrepdesign with plain (uncompressed) replicate
    # weights needs compress given: its default NA fails an if()
    if (inherits(des, "svyrep.design") && !inherits(des$repweights, "repweights_compressed")) {
      return(calibrate(des, as.formula(step$formula), step$totals, calfun = step$calfun,
                       compress = FALSE))
    }
    return(calibrate(des, as.formula(step$formula), step$totals, calfun = step$calfun))
  }
  if (step$kind == "trim") return(trimWeights(des, upper = step$upper))
  stop("unknown step")
}

# nonresponse: respondents post-stratified to the classes' full-sample weighted totals
nonresponse <- function(des, data, step) {
  classes <- as.formula(paste0("~", paste(step$classes, collapse = "+")))
  totals <- as.data.frame(svytable(classes, des))
  respondents <- des[data[[step$response]] == step$respondent, ]
  postStratify(respondents, classes, totals)
}

case <- function(name, data_name, r_design, python_design, replicates, steps, requests) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  for (step in steps) {
    des <- if (step$kind == "nonresponse") nonresponse(des, data, step) else apply_step(des, step)
  }
  results <- lapply(requests, function(r) list(request = r, estimates = estimates(des, r)))
  # the degrees of freedom of the whole design's intervals, R's degf (for a replicate
  # design the rank of its replicate weights minus one, but for a raking calibration,
  # which keeps the one from before), and of a subset of every row (the rank)
  everything <- des[rep(TRUE, nrow(des$variables)), ]
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, replicates = replicates, degf = degf(des),
       subset_degf = degf(everything),
       steps = lapply(steps, function(s) { if (!is.null(s$totals)) s$totals <- as.list(s$totals); s }),
       results = results)
}

ps <- function(columns, population) list(kind = "poststratify", columns = columns,
                                         population = population)
rk <- function(...) list(kind = "rake", margins = list(...))
cal <- function(formula, totals, calfun) list(kind = "calibrate", formula = formula,
                                              totals = totals, calfun = calfun)
tr <- function(upper) list(kind = "trim", upper = upper)
nr <- function(classes, response, respondent) list(kind = "nonresponse", classes = classes,
                                                   response = response, respondent = respondent)

nh_sex <- data.frame(RIAGENDR = c(1, 2), Freq = c(140e6, 148e6))
nh_race <- data.frame(race = 1:4, Freq = c(41, 153, 24, 70) * 1e6)
nh_age <- data.frame(agecat = c("(0,19]", "(19,39]", "(39,59]", "(59,Inf]"),
                     Freq = c(60, 82, 86, 60) * 1e6)
nh_age_totals <- c(`(Intercept)` = 288e6, `agecat(19,39]` = 82e6, `agecat(39,59]` = 86e6,
                   `agecat(59,Inf]` = 60e6)
syn_employed <- data.frame(employed = c(0, 1), Freq = c(2000, 3100))
syn_sex <- data.frame(sex = c("F", "M"), Freq = c(2600, 2500))
syn_totals <- c(`(Intercept)` = 5100, x = 5100 * 44, sexM = 2500)

nh_requests <- list(req("total", "HI_CHOL", na_rm = TRUE),
                    req("mean", "HI_CHOL", na_rm = TRUE),
                    req("mean", "HI_CHOL", by = "race", na_rm = TRUE),
                    req("quantile", "WTMEC2YR", probs = 0.5))
syn_requests <- list(req("total", "x"),
                     req("mean", "y", na_rm = TRUE),
                     req("mean", "x", by = "region", na_rm = TRUE),
                     req("quantile", "age", probs = c(0.25, 0.5)))

nh_taylor <- "svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data)"
nh_py <- list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE)
nh_jkn <- paste0("as.svrepdesign(", nh_taylor, ", type='JKn')")
nh_brr <- paste0("as.svrepdesign(", nh_taylor, ", type='BRR')")
syn_taylor <- "svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data)"
syn_py <- list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE)
syn_jkn <- paste0("as.svrepdesign(", syn_taylor, ", type='JKn')")
syn_jk1 <- "as.svrepdesign(svydesign(ids=~psu_global, weights=~w, data=data), type='JK1')"
syn_jk1_py <- list(ids = "psu_global", weights = "w")
# replicate weight columns supplied with the data (R's bootstrap weights, from
# tests/golden/R/replicates.R): every column re-weighted by every step
syn_user <- "svrepdesign(weights=~w, repweights='rw[0-9]+', type='bootstrap', scale=1/19, rscales=1, combined.weights=TRUE, data=data)"
syn_user_py <- list(weights = "w")
syn_user_rep <- list(columns = "^rw[0-9]+$", method = "bootstrap", scale = 1 / 19)

ps_rake <- list(ps("race", nh_race), rk(nh_sex, nh_age))
rake_cal <- list(rk(nh_sex, nh_race), cal("~agecat", nh_age_totals, "linear"))
ps_cal <- list(ps("employed", syn_employed), cal("~x+sex", syn_totals, "raking"))
nr_ps <- list(nr(c("sex", "stratum_ok"), "responded", 1), ps("employed", syn_employed))
# trimming (Taylor designs only): after a step it trims the adjusted weights and leaves
# that step's residuals as they were; before one, the next step is sized on its weights
ps_trim <- list(ps("race", nh_race), tr(60000))
trim_rake <- list(tr(60000), rk(nh_sex, nh_age))
rake_linear <- list(rk(syn_sex, syn_employed),
                    cal("~x", c(`(Intercept)` = 5100, x = 5100 * 44), "linear"))
nr_rake <- list(nr(c("sex", "stratum_ok"), "responded", 1), rk(syn_sex, syn_employed))
# one step only: raking calibration of a replicate design
cal_raking <- list(cal("~x+sex", syn_totals, "raking"))

cases <- list(
  case("nhanes_poststratify_rake", "nhanes", nh_taylor, nh_py, NULL, ps_rake, nh_requests),
  case("nhanes_poststratify_rake_jkn", "nhanes", nh_jkn, nh_py, "jkn", ps_rake, nh_requests),
  case("nhanes_poststratify_rake_brr", "nhanes_brr", nh_brr, nh_py, "brr", ps_rake, nh_requests),
  case("nhanes_rake_calibrate", "nhanes", nh_taylor, nh_py, NULL, rake_cal, nh_requests),
  case("nhanes_rake_calibrate_jkn", "nhanes", nh_jkn, nh_py, "jkn", rake_cal, nh_requests),
  case("nhanes_rake_calibrate_brr", "nhanes_brr", nh_brr, nh_py, "brr", rake_cal, nh_requests),
  case("synthetic_poststratify_calibrate_raking", "synthetic", syn_taylor, syn_py, NULL, ps_cal,
       syn_requests),
  case("synthetic_poststratify_calibrate_raking_jkn", "synthetic", syn_jkn, syn_py, "jkn", ps_cal,
       syn_requests),
  case("synthetic_poststratify_calibrate_raking_jk1", "synthetic", syn_jk1, syn_jk1_py, "jk1",
       ps_cal, syn_requests),
  case("synthetic_nonresponse_poststratify", "synthetic_nr", syn_taylor, syn_py, NULL, nr_ps,
       syn_requests),
  case("synthetic_nonresponse_poststratify_jkn", "synthetic_nr", syn_jkn, syn_py, "jkn", nr_ps,
       syn_requests),
  case("synthetic_nonresponse_poststratify_jk1", "synthetic_nr", syn_jk1, syn_jk1_py, "jk1", nr_ps,
       syn_requests),
  case("nhanes_poststratify_trim", "nhanes", nh_taylor, nh_py, NULL, ps_trim, nh_requests),
  case("nhanes_trim_rake", "nhanes", nh_taylor, nh_py, NULL, trim_rake, nh_requests),
  case("synthetic_user_bootstrap_poststratify_calibrate_raking", "synthetic_boot", syn_user,
       syn_user_py, syn_user_rep, ps_cal, syn_requests),
  case("synthetic_user_bootstrap_rake_calibrate", "synthetic_boot", syn_user, syn_user_py,
       syn_user_rep, rake_linear, syn_requests),
  case("synthetic_nonresponse_rake", "synthetic_nr", syn_taylor, syn_py, NULL, nr_rake,
       syn_requests),
  case("synthetic_nonresponse_rake_jk1", "synthetic_nr", syn_jk1, syn_jk1_py, "jk1", nr_rake,
       syn_requests),
  case("synthetic_calibrate_raking_jkn", "synthetic", syn_jkn, syn_py, "jkn", cal_raking,
       syn_requests)
)
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")),
                           "; tests/golden/R/chained_weighting.R"),
            cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "string",
                  pretty = TRUE, dataframe = "rows"),
           "tests/golden/chained_weighting.json")
cat("cases:", length(cases), "\n")
