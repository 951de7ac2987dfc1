# Reference numbers for raked designs in amargah.stats (R's rake, default control:
# epsilon 1, maxit 10). Run from the repository root after tests/golden/R/taylor.R:
#   Rscript tests/golden/R/rake.R
# Writes tests/golden/rake.json. survey 4.1.1. Margins are made up for the test.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = "")
one <- function(des, data, variable, by, categorical = FALSE) {
  combos <- if (is.null(by)) list(NULL) else lapply(sort(unique(data[[by]])), function(v) setNames(list(v), by))
  out <- list()
  for (dom in combos) {
    idx <- rep(TRUE, nrow(data))
    for (b in names(dom)) idx <- idx & data[[b]] == dom[[b]]
    sub <- des[idx, ]
    if (categorical) {
      sub <- update(sub, .v = factor(get(variable)))
      st <- svymean(~.v, sub, na.rm = TRUE)
      terms <- as.list(sub("^\\.v", "", names(coef(st))))
    } else {
      st <- svymean(as.formula(paste0("~", variable)), sub, na.rm = TRUE)
      terms <- list(NULL)
    }
    for (k in seq_along(coef(st))) out[[length(out) + 1]] <- list(
      term = terms[[k]], domain = dom, estimate = coef(st)[[k]], se = SE(st)[[k]])
  }
  list(variable = variable, by = by, categorical = categorical, estimates = out)
}
case <- function(name, data_name, r_design, python_design, margins, totals_request) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  sample_margins <- lapply(margins, function(m) as.formula(paste0("~", paste(m$columns, collapse = "+"))))
  population_margins <- lapply(margins, function(m) m$population)
  raked <- rake(des, sample_margins, population_margins)
  tot <- svytotal(as.formula(paste0("~", totals_request)), raked, na.rm = TRUE)
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       design = python_design, margins = margins,
       total = list(variable = totals_request, estimate = coef(tot)[[1]], se = SE(tot)[[1]]),
       requests = list(one(raked, data, "HI_CHOL", NULL), one(raked, data, "HI_CHOL", "race"),
                       one(raked, data, "agecat", NULL, categorical = TRUE)))
}
nh_call <- "svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data)"
nh_py <- list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE)
margins <- list(
  list(columns = "RIAGENDR", population = data.frame(RIAGENDR = c(1, 2), Freq = c(140e6, 148e6))),
  list(columns = "agecat", population = data.frame(agecat = c("(0,19]", "(19,39]", "(39,59]", "(59,Inf]"),
                                                   Freq = c(83e6, 80e6, 75e6, 50e6))),
  list(columns = "race", population = data.frame(race = 1:4, Freq = c(41e6, 155e6, 51e6, 41e6)))
)
cases <- list(case("nhanes_three_margins", "nhanes", nh_call, nh_py, margins, "HI_CHOL"))
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")), "; tests/golden/R/rake.R"),
            cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE, dataframe = "rows",
                  null = "null"), "tests/golden/rake.json")
