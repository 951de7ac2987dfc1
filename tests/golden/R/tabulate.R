# Reference cross-tabulation with all margins for amargah.stats.tabulation.
# Run from the repository root after tests/golden/R/taylor.R:
#   Rscript tests/golden/R/tabulate.R
# xtabs() weighted and unweighted, with addmargins() over every variable; written as
# tests/golden/tabulate.json (one row per cell; "Sum" marks a margin).
library(jsonlite)
data <- read.csv("tests/golden/data/nhanes.csv", stringsAsFactors = FALSE, na.strings = "")
weighted <- addmargins(xtabs(WTMEC2YR ~ race + agecat + RIAGENDR, data))
counts <- addmargins(xtabs(~ race + agecat + RIAGENDR, data))
rows <- as.data.frame(weighted, stringsAsFactors = FALSE)
names(rows)[4] <- "weighted"
rows$count <- as.data.frame(counts, stringsAsFactors = FALSE)$Freq
out <- list(source = paste("R", R.version$major, ".", R.version$minor,
                           "xtabs + addmargins; tests/golden/R/tabulate.R"),
            variables = c("race", "agecat", "RIAGENDR"), weights = "WTMEC2YR",
            data = "data/nhanes.csv", cells = rows)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE, dataframe = "rows"),
           "tests/golden/tabulate.json")
cat("cells:", nrow(rows), "\n")
