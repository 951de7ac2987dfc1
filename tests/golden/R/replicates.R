# Reference numbers for replicate-weight designs in amargah.stats (JK1, JKn with fpc,
# BRR, Fay, user-supplied bootstrap weights, mse). Run from the repository root after
# tests/golden/R/taylor.R:  Rscript tests/golden/R/replicates.R
# Writes tests/golden/replicates.json and the data files it needs. survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = "")

# nhanes restricted to strata with exactly two PSUs, for BRR and Fay
nh <- read("nhanes")
two <- names(which(tapply(nh$SDMVPSU, nh$SDMVSTRA, function(p) length(unique(p))) == 2))
write.csv(nh[nh$SDMVSTRA %in% two, ], file.path(dir, "nhanes_brr.csv"), row.names = FALSE, na = "")

# user-supplied replicate weights: R's own bootstrap weights for the synthetic sample
set.seed(1405)
syn <- read("synthetic")
boot <- as.svrepdesign(svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=syn),
                       type = "bootstrap", replicates = 20, compress = FALSE)
rw <- weights(boot, "analysis")
colnames(rw) <- paste0("rw", seq_len(ncol(rw)))
write.csv(cbind(syn, rw), file.path(dir, "synthetic_boot.csv"), row.names = FALSE, na = "")
boot_scale <- boot$scale
# pairs of PSUs in 10, 17 and 27 strata: R's hadamard() then takes a Paley matrix of
# order 12, one of order 20, and its stored matrix of order 28
set.seed(20261127)
pairs <- do.call(rbind, lapply(1:27, function(h) data.frame(
  stratum = h, psu = rep(c(2 * h - 1, 2 * h), each = 4), w = runif(8, 20, 60),
  y = rnorm(8, 10 + h %% 5, 3), x = runif(8, 1, 4), g = sample(c("a", "b"), 8, TRUE))))
for (k in c(10, 17, 27))
  write.csv(pairs[pairs$stratum <= k, ], file.path(dir, sprintf("brr_pairs%d.csv", k)),
            row.names = FALSE)

req <- function(statistic, variable, denominator = NULL, by = NULL, na_rm = FALSE,
                categorical = FALSE) {
  list(statistic = statistic, variable = variable, denominator = denominator, by = by,
       na_rm = na_rm, categorical = categorical)
}

run_one <- function(des, data, r) {
  domains <- list(NULL)
  if (!is.null(r$by)) {
    combos <- unique(data[, r$by, drop = FALSE])
    combos <- combos[complete.cases(combos), , drop = FALSE]
    domains <- lapply(seq_len(nrow(combos)), function(i) as.list(combos[i, , drop = FALSE]))
  }
  out <- list()
  for (dom in domains) {
    idx <- rep(TRUE, nrow(data))
    for (b in names(dom)) idx <- idx & !is.na(data[[b]]) & data[[b]] == dom[[b]]
    if (r$na_rm) for (v in c(r$variable, r$denominator)) idx <- idx & !is.na(data[[v]])
    sub <- des[idx, ]
    if (r$statistic == "ratio") {
      st <- svyratio(as.formula(paste0("~", r$variable)), as.formula(paste0("~", r$denominator)), sub)
      est <- as.vector(coef(st)); se <- as.vector(SE(st)); terms <- list(NULL)
      variable <- paste0(r$variable, "/", r$denominator)
    } else {
      if (r$categorical) {
        sub <- update(sub, .v = factor(get(r$variable)))
        fml <- ~.v
      } else fml <- as.formula(paste0("~", r$variable))
      fun <- if (r$statistic == "total") svytotal else svymean
      st <- fun(fml, sub)
      est <- as.vector(coef(st)); se <- as.vector(SE(st))
      terms <- if (r$categorical) as.list(sub("^\\.v", "", names(coef(st)))) else list(NULL)
      variable <- r$variable
    }
    for (k in seq_along(est)) {
      out[[length(out) + 1]] <- list(statistic = r$statistic, variable = variable,
                                     term = terms[[k]], domain = dom, estimate = est[k], se = se[k])
    }
  }
  out
}

case <- function(name, data_name, r_call, python_design, python_replicates, requests,
                 lonely = "fail") {
  data <- read(data_name)
  old <- options(survey.lonely.psu = lonely)
  on.exit(options(old))
  des <- eval(parse(text = r_call))
  results <- lapply(requests, function(r) list(request = r, estimates = run_one(des, data, r)))
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_call,
       design = python_design, replicates = python_replicates, results = results)
}

el_requests <- list(req("mean", "Kerry"), req("total", "Bush"), req("ratio", "Bush", "votes"),
                    req("mean", "Kerry", by = "size"), req("total", "size", categorical = TRUE))
nh_requests <- list(req("mean", "HI_CHOL", na_rm = TRUE),
                    req("mean", "HI_CHOL", by = "race", na_rm = TRUE),
                    req("proportion", "agecat", by = "RIAGENDR", categorical = TRUE),
                    req("total", "HI_CHOL", na_rm = TRUE))
syn_requests <- list(req("total", "x"), req("mean", "y", by = "sex", na_rm = TRUE),
                     req("ratio", "y", "x", na_rm = TRUE),
                     req("proportion", "region", na_rm = TRUE, categorical = TRUE))

pair_requests <- list(req("mean", "y"), req("ratio", "y", "x"), req("total", "y", by = "g"),
                      req("mean", "y", by = "g"))
pair_py <- list(ids = "psu", strata = "stratum", weights = "w")
cases <- list(
  case("brr_10_strata_paley_12", "brr_pairs10",
       "as.svrepdesign(svydesign(ids=~psu, strata=~stratum, weights=~w, data=data), type='BRR')",
       pair_py, list(method = "brr"), pair_requests),
  case("fay_17_strata_paley_20", "brr_pairs17",
       "as.svrepdesign(svydesign(ids=~psu, strata=~stratum, weights=~w, data=data), type='Fay', fay.rho=0.3)",
       pair_py, list(method = "fay", fay_rho = 0.3), pair_requests),
  case("brr_27_strata_stored_28", "brr_pairs27",
       "as.svrepdesign(svydesign(ids=~psu, strata=~stratum, weights=~w, data=data), type='BRR')",
       pair_py, list(method = "brr"), pair_requests),
  case("election_jk1", "election_pps",
       "as.svrepdesign(svydesign(ids=~1, probs=~p, data=data), type='JK1')",
       list(ids = "1", probs = "p"), list(method = "jk1"), el_requests),
  case("election_jk1_mse", "election_pps",
       "as.svrepdesign(svydesign(ids=~1, probs=~p, data=data), type='JK1', mse=TRUE)",
       list(ids = "1", probs = "p"), list(method = "jk1", mse = TRUE), el_requests),
  case("fpc_jkn_with_fpc", "fpc",
       "as.svrepdesign(svydesign(ids=~psuid, strata=~stratid, weights=~weight, fpc=~Nh, nest=TRUE, data=data), type='JKn')",
       list(ids = "psuid", strata = "stratid", weights = "weight", fpc = "Nh", nest = TRUE),
       list(method = "jkn"), list(req("mean", "x"), req("total", "x"))),
  case("nhanes_jkn", "nhanes",
       "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='JKn')",
       list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE),
       list(method = "jkn"), nh_requests),
  case("nhanes_brr", "nhanes_brr",
       "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='BRR')",
       list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE),
       list(method = "brr"), nh_requests),
  case("nhanes_fay", "nhanes_brr",
       "as.svrepdesign(svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data), type='Fay', fay.rho=0.3)",
       list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE),
       list(method = "fay", fay_rho = 0.3), nh_requests),
  case("synthetic_user_bootstrap", "synthetic_boot",
       sprintf("svrepdesign(weights=~w, repweights='rw[0-9]+', type='bootstrap', scale=%.17g, rscales=1, combined.weights=TRUE, data=data)", boot_scale),
       list(weights = "w"),
       list(columns = "^rw[0-9]+$", method = "bootstrap", scale = boot_scale), syn_requests)
)
for (opt in c("remove", "adjust", "average")) {
  cases[[length(cases) + 1]] <- case(
    paste0("synthetic_jkn_lonely_", opt), "synthetic",
    "as.svrepdesign(svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE, data=data), type='JKn')",
    list(ids = "psu", strata = "stratum", weights = "w", nest = TRUE, lonely_psu = opt),
    list(method = "jkn"), syn_requests, lonely = opt)
}

out <- list(source = paste("R", R.version$major, ".", R.version$minor, "survey",
                           as.character(packageVersion("survey")), "; tests/golden/R/replicates.R"),
            cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "string", pretty = TRUE),
           "tests/golden/replicates.json")
cat("cases:", length(cases), "\n")
