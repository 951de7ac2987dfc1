# Reference numbers for quantiles with na.rm = TRUE on a raking-calibrated replicate
# design in amargah.stats: svyquantile then takes a subset of the design to the rows it
# uses, and a subset's degf is the rank of its replicate weights, not the degf that
# calibrate kept from before the raking (which the same call without na.rm uses).
# Run from the repository root: Rscript tests/golden/R/replicate_quantile_subset.R
# Writes tests/golden/replicate_quantile_subset.json. survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
data <- read.csv("tests/golden/data/synthetic.csv", stringsAsFactors = FALSE, na.strings = "")
des <- as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE,
                                data=data), type = "JKn")
w <- weights(des, "sampling")
totals <- c(`(Intercept)` = 1.05 * sum(w), x = 1.1 * sum(w * data$x))
cal <- calibrate(des, ~x, totals, calfun = "raking")
row <- function(q, variable, na_rm, df) {
  m <- q[[variable]]
  lapply(seq_len(nrow(m)), function(i) list(
    variable = variable, na_rm = na_rm, p = as.numeric(rownames(m)[i]),
    estimate = m[i, 1], ci_lower = m[i, 2], ci_upper = m[i, 3], se = m[i, 4], df = df))
}
out <- c(
  # y has missing values: the rows used are a true subset
  row(svyquantile(~y, cal, c(0.25, 0.5), na.rm = TRUE, ci = TRUE), "y", TRUE,
      degf(cal[!is.na(data$y), ])),
  # age has none: na.rm = TRUE still takes the subset (all rows), na.rm = FALSE not
  row(svyquantile(~age, cal, c(0.25, 0.5), na.rm = TRUE, ci = TRUE), "age", TRUE,
      degf(cal[rep(TRUE, nrow(data)), ])),
  row(svyquantile(~age, cal, c(0.25, 0.5), ci = TRUE), "age", FALSE, degf(cal))
)
writeLines(toJSON(list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                                      as.character(packageVersion("survey")),
                                      "; tests/golden/R/replicate_quantile_subset.R"),
                       data = "data/synthetic.csv", totals = as.list(totals),
                       estimates = out),
                  auto_unbox = TRUE, digits = I(17), pretty = TRUE),
           "tests/golden/replicate_quantile_subset.json")
