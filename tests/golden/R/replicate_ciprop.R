# Reference numbers for svyciprop (logit) on replicate designs in amargah.stats.
# Run from the repository root after tests/golden/R/replicates.R:
#   Rscript tests/golden/R/replicate_ciprop.R
# Writes tests/golden/replicate_ciprop.json. survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
data <- read.csv("tests/golden/data/nhanes.csv", stringsAsFactors = FALSE, na.strings = "")
des <- as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE,
                                data=data), type = "JKn")
out <- list()
for (sex in c(1, 2)) {
  sub <- des[data$RIAGENDR == sex & !is.na(data$HI_CHOL), ]
  sub <- update(sub, amargah_i = HI_CHOL == 1)
  ci <- svyciprop(~amargah_i, sub, method = "logit")
  out[[length(out) + 1]] <- list(RIAGENDR = sex, estimate = as.vector(coef(ci)),
                                 se = as.vector(SE(ci)), ci_lower = attr(ci, "ci")[[1]],
                                 ci_upper = attr(ci, "ci")[[2]])
}
writeLines(toJSON(list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                                      as.character(packageVersion("survey")),
                                      "; tests/golden/R/replicate_ciprop.R"),
                       data = "data/nhanes.csv", estimates = out),
                  auto_unbox = TRUE, digits = I(17), pretty = TRUE),
           "tests/golden/replicate_ciprop.json")
