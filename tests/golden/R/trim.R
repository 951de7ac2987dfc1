# Reference numbers for weight trimming in amargah.stats (R's trimWeights).
# Run from the repository root after tests/golden/R/taylor.R:
#   Rscript tests/golden/R/trim.R
# Writes tests/golden/trim.json. survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
data <- read.csv("tests/golden/data/nhanes.csv", stringsAsFactors = FALSE, na.strings = "")
des <- svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data)
one <- function(d, strict) {
  m <- svymean(~HI_CHOL, d, na.rm = TRUE)
  t <- svytotal(~HI_CHOL, d, na.rm = TRUE)
  by <- svyby(~HI_CHOL, ~race, d, svymean, na.rm = TRUE)
  rep <- svymean(~HI_CHOL, as.svrepdesign(d, type = "JKn"), na.rm = TRUE)
  list(strict = strict, weight_sum = sum(weights(d)),
       mean = list(estimate = coef(m)[[1]], se = SE(m)[[1]]),
       total = list(estimate = coef(t)[[1]], se = SE(t)[[1]]),
       by_race = lapply(seq_len(nrow(by)), function(i) list(race = by$race[i],
                        estimate = by$HI_CHOL[i], se = by$se[i])),
       jkn_mean = list(estimate = coef(rep)[[1]], se = SE(rep)[[1]]))
}
upper <- 60000; lower <- 5000
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")), "; tests/golden/R/trim.R"),
            data = "data/nhanes.csv", upper = upper, lower = lower,
            cases = list(one(trimWeights(des, upper = upper, lower = lower), FALSE),
                         one(trimWeights(des, upper = upper, lower = lower, strict = TRUE), TRUE)))
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE), "tests/golden/trim.json")
