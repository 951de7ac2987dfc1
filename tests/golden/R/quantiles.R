# Reference numbers for quantiles (Woodruff intervals) and svyciprop (logit) in
# amargah.stats. Run from the repository root after tests/golden/R/taylor.R (which
# writes the data files):  Rscript tests/golden/R/quantiles.R
# Writes tests/golden/quantiles.json. survey 4.1.1 was used.
suppressMessages(library(survey))
library(jsonlite)
options(survey.lonely.psu = "fail")
dir <- "tests/golden/data"
read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = "")

domains_of <- function(data, by, keep) {
  if (is.null(by)) return(list(NULL))
  combos <- unique(data[keep, by, drop = FALSE])
  combos <- combos[complete.cases(combos), , drop = FALSE]
  lapply(seq_len(nrow(combos)), function(i) as.list(combos[i, , drop = FALSE]))
}

subset_for <- function(data, dom, keep, variable, na_rm) {
  idx <- keep
  for (b in names(dom)) idx <- idx & !is.na(data[[b]]) & data[[b]] == dom[[b]]
  # na.rm=TRUE is R's subset to complete cases, folded into the domain subset
  if (na_rm) idx <- idx & !is.na(data[[variable]])
  idx
}

# equal weights that are not whole numbers, and domain sizes divisible by 4: the
# cumulative weight reaches p times the total exactly at a row for p = 1/4, 1/2, 3/4
set.seed(20261127)
equal <- data.frame(stratum = rep(1:3, each = 40), psu = rep(1:12, each = 10), w = 33.847,
                    dom = sample(rep(c("a", "b", "c"), c(40, 24, 56))),
                    v = sample(1:20, 120, replace = TRUE))
write.csv(equal, file.path(dir, "equal_weights.csv"), row.names = FALSE)
# the smallest value held by several rows (domain a), or by one heavy row (domain b):
# R's rule works row by row and, when no row reaches p times the total, takes the
# second row
first <- data.frame(dom = rep(c("a", "b", "c"), c(4, 4, 9)),
                    x = c(5, 5, 5, 6, 5, 6, 6, 6, 1, 1, 2, 3, 3, 3, 4, 7, 9),
                    w = c(1, 1, 1, 1, 3, 1, 1, 1, 2.5, 1, 1, 1, 4, 1, 1, 2, 1))
write.csv(first, file.path(dir, "smallest_tied.csv"), row.names = FALSE)
# nonrespondents kept with weight zero, all the rows of two PSUs among them: R's degf
# counts only PSUs and strata with weight
zero <- read("synthetic")
zero$w[zero$psu_global %in% c(203, 402) | seq_len(nrow(zero)) %% 9 == 0] <- 0
write.csv(zero, file.path(dir, "synthetic_zero_weights.csv"), row.names = FALSE, na = "")

quantile_case <- function(name, data_name, r_design, python_design, variable, probs,
                          by = NULL, na_rm = FALSE, qrule = "math", where = NULL) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  keep <- rep(TRUE, nrow(data))
  if (!is.null(where)) { cond <- eval(parse(text = where$r), data); keep <- !is.na(cond) & cond }
  out <- list()
  for (dom in domains_of(data, by, keep)) {
    sub <- des[subset_for(data, dom, keep, variable, na_rm), ]
    q <- svyquantile(as.formula(paste0("~", variable)), sub, probs, qrule = qrule, ci = TRUE)[[1]]
    for (k in seq_along(probs)) {
      out[[length(out) + 1]] <- list(term = probs[k], domain = dom, estimate = q[k, 1],
                                     ci_lower = q[k, 2], ci_upper = q[k, 3], se = q[k, 4],
                                     df = degf(sub))
    }
  }
  list(name = name, kind = "quantile", data = paste0("data/", data_name, ".csv"),
       r_call = r_design, design = python_design, variable = variable, probs = probs,
       by = by, na_rm = na_rm, qrule = qrule, where = where$sql, estimates = out)
}

ciprop_case <- function(name, data_name, r_design, python_design, variable, category,
                        by = NULL, na_rm = FALSE) {
  data <- read(data_name)
  des <- eval(parse(text = r_design))
  keep <- rep(TRUE, nrow(data))
  out <- list()
  for (dom in domains_of(data, by, keep)) {
    # svyciprop's own na.rm: its df is degf() of the domain before the missing rows
    # go, so a PSU whose values in the domain are all missing still counts
    sub <- des[subset_for(data, dom, keep, variable, FALSE), ]
    sub <- update(sub, amargah_i = get(variable) == category)
    ci <- svyciprop(~amargah_i, sub, method = "logit", na.rm = na_rm)
    out[[length(out) + 1]] <- list(domain = dom, estimate = as.vector(coef(ci)),
                                   se = as.vector(SE(ci)), ci_lower = attr(ci, "ci")[1],
                                   ci_upper = attr(ci, "ci")[2], df = degf(sub))
  }
  list(name = name, kind = "ciprop", data = paste0("data/", data_name, ".csv"),
       r_call = r_design, design = python_design, variable = variable,
       category = as.character(category), by = by, na_rm = na_rm, estimates = out)
}

nh_call <- "svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data)"
nh_py <- list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE)
syn2_call <- "svydesign(ids=~psu_ok+ssu, strata=~stratum_ok, weights=~w, fpc=~N1_ok+N2, nest=TRUE, data=data)"
syn2_py <- list(ids = "psu_ok+ssu", strata = "stratum_ok", weights = "w", fpc = "N1_ok+N2", nest = TRUE)
syn1_call <- "svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data)"
syn1_py <- list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE)
el_call <- "svydesign(ids=~1, probs=~p, data=data)"
el_py <- list(ids = "1", probs = "p")

cases <- list(
  quantile_case("election_math", "election_pps", el_call, el_py, "Bush", c(0.1, 0.25, 0.5, 0.9)),
  quantile_case("election_school", "election_pps", el_call, el_py, "Kerry", c(0.25, 0.5, 0.75),
                qrule = "school"),
  quantile_case("election_by_size", "election_pps", el_call, el_py, "votes", c(0.5), by = "size"),
  quantile_case("fpc_math", "fpc", "svydesign(ids=~psuid, strata=~stratid, weights=~weight, fpc=~Nh, nest=TRUE, data=data)",
                list(ids = "psuid", strata = "stratid", weights = "weight", fpc = "Nh", nest = TRUE),
                "x", c(0.25, 0.5, 0.75)),
  quantile_case("mu284_derived_weights", "mu284", "svydesign(ids=~id1+id2, fpc=~n1+n2, data=data)",
                list(ids = "id1+id2", fpc = "n1+n2"), "y1", c(0.25, 0.5)),
  quantile_case("synthetic_two_stage_by_sex", "synthetic", syn2_call, syn2_py, "y",
                c(0.25, 0.5, 0.75), by = "sex", na_rm = TRUE),
  quantile_case("synthetic_school_by_region", "synthetic", syn1_call, syn1_py, "x",
                c(0.1, 0.5, 0.9), by = "region", na_rm = TRUE, qrule = "school"),
  quantile_case("synthetic_where", "synthetic", syn1_call, syn1_py, "age", c(0.5),
                where = list(r = "sex == 'F'", sql = "sex = 'F'")),
  quantile_case("synthetic_srs_integer", "synthetic", "svydesign(ids=~1, strata=~stratum, weights=~w, data=data)",
                list(ids = "1", strata = "stratum", weights = "w"), "age", c(0.5, 0.8)),
  quantile_case("equal_weights_by_domain", "equal_weights",
                "svydesign(ids=~psu, strata=~stratum, weights=~w, data=data)",
                list(ids = "psu", strata = "stratum", weights = "w"), "v",
                c(0.25, 0.5, 0.75), by = "dom"),
  quantile_case("equal_weights_school_by_domain", "equal_weights",
                "svydesign(ids=~psu, strata=~stratum, weights=~w, data=data)",
                list(ids = "psu", strata = "stratum", weights = "w"), "v",
                c(0.25, 0.5, 0.75), by = "dom", qrule = "school"),
  quantile_case("smallest_value_tied", "smallest_tied",
                "svydesign(ids=~1, weights=~w, data=data)", list(ids = "1", weights = "w"), "x",
                c(0.1, 0.25, 0.5), by = "dom"),
  quantile_case("smallest_value_tied_school", "smallest_tied",
                "svydesign(ids=~1, weights=~w, data=data)", list(ids = "1", weights = "w"), "x",
                c(0.1, 0.25, 0.5), by = "dom", qrule = "school"),
  quantile_case("zero_weight_psus", "synthetic_zero_weights", syn1_call, syn1_py, "x",
                c(0.5), by = "sex"),
  ciprop_case("zero_weight_psus_ciprop", "synthetic_zero_weights", syn1_call, syn1_py,
              "employed", 1),
  quantile_case("nhanes_median_of_indicator", "nhanes", nh_call, nh_py, "HI_CHOL", c(0.5),
                na_rm = TRUE),
  ciprop_case("nhanes_hichol_by_sex", "nhanes", nh_call, nh_py, "HI_CHOL", 1, by = "RIAGENDR",
              na_rm = TRUE),
  ciprop_case("nhanes_race", "nhanes", nh_call, nh_py, "race", 3),
  ciprop_case("synthetic_region_by_sex", "synthetic", syn2_call, syn2_py, "region", "north",
              by = "sex", na_rm = TRUE),
  ciprop_case("election_large", "election_pps", el_call, el_py, "size", "large"),
  # race 4 has a PSU whose HI_CHOL values are all missing: R counts it in the df
  ciprop_case("nhanes_hichol_by_race", "nhanes", nh_call, nh_py, "HI_CHOL", 1, by = "race",
              na_rm = TRUE)
)

t_table <- expand.grid(p = c(0.6, 0.9, 0.975, 0.995), df = c(1, 2, 3, 5.5, 12, 39, 120, 1000))
t_table$q <- qt(t_table$p, t_table$df)

out <- list(
  source = paste("R", R.version$major, ".", R.version$minor, "survey",
                 as.character(packageVersion("survey")), "; tests/golden/R/quantiles.R"),
  cases = cases, t_quantiles = t_table
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "string",
                  pretty = TRUE, dataframe = "rows"),
           "tests/golden/quantiles.json")
cat("cases:", length(cases), "\n")
