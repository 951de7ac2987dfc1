# Reference numbers for raking calibration of a BRR design whose first replicate cannot
# reach the totals: R's grake halves the steps whose factors overflow, stops after maxit
# (50) iterations with a warning, and calibrate keeps that replicate's weights as they
# are (only a full sample that fails stops it). Found by tests/golden/R/differential.py.
# Run from the repository root: Rscript tests/golden/R/replicate_raking_unconverged.R
# Writes tests/golden/replicate_raking_unconverged.json. survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
data <- read.csv("tests/golden/data/brr_raking_unconverged.csv", stringsAsFactors = TRUE,
                 na.strings = "")
des <- as.svrepdesign(svydesign(ids = ~psu, strata = ~h, weights = ~w, data = data),
                      type = "BRR")
totals <- c(`(Intercept)` = 535, x = 2526.67, gg2 = 204)
warned <- character(0)
cal <- withCallingHandlers(
  calibrate(des, ~x + g, totals, calfun = "raking"),
  warning = function(w) {
    warned <<- c(warned, conditionMessage(w))
    invokeRestart("muffleWarning")
  }
)
p <- svymean(~cat, cal, na.rm = TRUE, deff = TRUE)
writeLines(toJSON(list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                                      as.character(packageVersion("survey")),
                                      "; tests/golden/R/replicate_raking_unconverged.R"),
                       data = "data/brr_raking_unconverged.csv", totals = as.list(totals),
                       warnings = warned,
                       estimates = lapply(seq_along(coef(p)), function(i) list(
                         term = sub("^cat", "", names(coef(p))[i]),
                         estimate = unname(coef(p)[i]), se = unname(SE(p)[i]),
                         deff = unname(deff(p)[i])))),
                  auto_unbox = TRUE, digits = I(17), pretty = TRUE),
           "tests/golden/replicate_raking_unconverged.json")
