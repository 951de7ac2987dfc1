# Reference numbers for svyciprop (logit) on replicate designs in amargah.stats,
# whole and by domains.
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
# domains that miss PSUs, as a user asks for them: svyby takes each subset's own degf
syn <- read.csv("tests/golden/data/synthetic.csv", stringsAsFactors = FALSE, na.strings = "")
syn_des <- as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE,
                                    data=syn), type = "JKn")
by_region <- svyby(~I(employed == 1), ~region, syn_des, svyciprop, vartype = c("se", "ci"),
                   method = "logit")
regions <- list()
for (i in seq_len(nrow(by_region))) {
  sub <- syn_des[!is.na(syn$region) & syn$region == by_region$region[i], ]
  regions[[i]] <- list(region = by_region$region[i], estimate = by_region[i, 2],
                       se = by_region[i, 3], ci_lower = by_region$ci_l[i],
                       ci_upper = by_region$ci_u[i], degf = degf(sub))
}
writeLines(toJSON(list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                                      as.character(packageVersion("survey")),
                                      "; tests/golden/R/replicate_ciprop.R"),
                       data = "data/nhanes.csv", estimates = out,
                       synthetic_jkn_employed_by_region = regions),
                  auto_unbox = TRUE, digits = I(17), pretty = TRUE),
           "tests/golden/replicate_ciprop.json")
