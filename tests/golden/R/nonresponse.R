# Reference numbers for nonresponse adjustment within weighting classes in
# amargah.stats: R has no function for it; the adjustment is R's postStratify of the
# respondents to the classes' full-sample weighted totals. Run from the repository
# root after tests/golden/R/taylor.R:  Rscript tests/golden/R/nonresponse.R
# Writes tests/golden/data/synthetic_nr.csv (the synthetic sample with a response
# flag) and tests/golden/nonresponse.json. survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
data <- read.csv(file.path(dir, "synthetic.csv"), stringsAsFactors = FALSE, na.strings = "")
set.seed(2611)
data$responded <- as.integer(runif(nrow(data)) < 0.75)
write.csv(data, file.path(dir, "synthetic_nr.csv"), row.names = FALSE, na = "")
data <- read.csv(file.path(dir, "synthetic_nr.csv"), stringsAsFactors = FALSE, na.strings = "")
full <- svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data)
population <- as.data.frame(xtabs(w ~ sex + stratum_ok, data))
respondents <- full[data$responded == 1, ]
adjusted <- postStratify(respondents, ~sex + stratum_ok, population)
rdata <- data[data$responded == 1, ]
m <- svymean(~y, adjusted, na.rm = TRUE)
t <- svytotal(~x, adjusted)
by <- lapply(c("F", "M"), function(s) {
  st <- svymean(~x, adjusted[rdata$sex == s, ])
  list(sex = s, estimate = coef(st)[[1]], se = SE(st)[[1]])
})
out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")), "; tests/golden/R/nonresponse.R"),
            data = "data/synthetic_nr.csv", classes = "sex+stratum_ok",
            mean_y = list(estimate = coef(m)[[1]], se = SE(m)[[1]]),
            total_x = list(estimate = coef(t)[[1]], se = SE(t)[[1]]),
            mean_x_by_sex = by, weight_sum = sum(weights(adjusted)))
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE), "tests/golden/nonresponse.json")
