# Reference numbers for the Taylor-linearisation golden tests of amargah.stats.
# Run from the repository root:  Rscript tests/golden/R/taylor.R
# Needs Debian's r-cran-survey (survey 4.1.1 was used) and r-cran-jsonlite.
# 1. exports survey's own datasets to tests/golden/data/*.csv;
# 2. reads every CSV back (so R and Python see the same numbers);
# 3. writes tests/golden/taylor.json: each design with the svydesign() call and the
#    equivalent amargah Design arguments, and each estimate with R's value, SE, deff
#    and 95% Wald interval (confint()).
suppressMessages(library(survey))
library(jsonlite)
options(survey.lonely.psu = "fail")

dir <- "tests/golden/data"
data(election); data(scd); data(fpc); data(mu284); data(nhanes)
e <- election_pps
e$County <- as.character(e$County)
e$size <- ifelse(e$TotPrecincts > 500, "large", "small")
write.csv(e, file.path(dir, "election_pps.csv"), row.names = FALSE, na = "")
s <- scd
s$one <- 1
s$popsize <- 5
write.csv(s, file.path(dir, "scd.csv"), row.names = FALSE, na = "")
f <- fpc
f$frac <- f$nh / f$Nh
write.csv(f, file.path(dir, "fpc.csv"), row.names = FALSE, na = "")
write.csv(mu284, file.path(dir, "mu284.csv"), row.names = FALSE, na = "")
nh <- nhanes
nh$agecat <- as.character(nh$agecat)
write.csv(nh, file.path(dir, "nhanes.csv"), row.names = FALSE, na = "")

read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = "")

# one estimate request: statistic, variable, denominator (ratio), by, where, na_rm
req <- function(statistic, variable, denominator = NULL, by = NULL, where = NULL,
                na_rm = FALSE, categorical = FALSE) {
  list(statistic = statistic, variable = variable, denominator = denominator, by = by,
       where = where, na_rm = na_rm, categorical = categorical)
}

run_one <- function(des, data, r) {
  keep <- rep(TRUE, nrow(data))
  if (!is.null(r$where)) {
    cond <- eval(parse(text = r$where$r), data)
    keep <- keep & !is.na(cond) & cond
  }
  domains <- list(NULL)
  if (!is.null(r$by)) {
    combos <- unique(data[keep, r$by, drop = FALSE])
    combos <- combos[complete.cases(combos), , drop = FALSE]
    domains <- lapply(seq_len(nrow(combos)), function(i) as.list(combos[i, , drop = FALSE]))
  }
  out <- list()
  for (dom in domains) {
    idx <- keep
    for (b in names(dom)) idx <- idx & !is.na(data[[b]]) & data[[b]] == dom[[b]]
    # na.rm=TRUE is R's subset to complete cases; it is applied here in the same subset
    # as the domain because survey 4.1.1 fails computing deff on a subset of a subset of
    # a multistage design ("arguments must have same length")
    if (r$na_rm) for (v in c(r$variable, r$denominator)) idx <- idx & !is.na(data[[v]])
    sub <- des[idx, ]
    if (r$statistic == "ratio") {
      st <- svyratio(as.formula(paste0("~", r$variable)), as.formula(paste0("~", r$denominator)),
                     sub, deff = TRUE)
      est <- as.vector(coef(st)); se <- as.vector(SE(st)); df <- as.vector(deff(st))
      ci <- confint(st); terms <- list(NULL)
      variable <- paste0(r$variable, "/", r$denominator)
    } else {
      if (r$categorical) {
        sub <- update(sub, .v = factor(get(r$variable)))
        fml <- ~.v
      } else {
        fml <- as.formula(paste0("~", r$variable))
      }
      fun <- if (r$statistic == "total") svytotal else svymean
      st <- fun(fml, sub, deff = TRUE)
      est <- as.vector(coef(st)); se <- as.vector(SE(st)); df <- as.vector(deff(st))
      ci <- confint(st)
      terms <- if (r$categorical) as.list(sub("^\\.v", "", names(coef(st)))) else list(NULL)
      variable <- r$variable
    }
    for (k in seq_along(est)) {
      out[[length(out) + 1]] <- list(
        statistic = r$statistic, variable = variable, term = terms[[k]],
        domain = dom, estimate = est[k], se = se[k], deff = df[k],
        ci_lower = ci[k, 1], ci_upper = ci[k, 2]
      )
    }
  }
  out
}

case <- function(name, data_name, r_design, python_design, requests, lonely = "fail") {
  data <- read(data_name)
  old <- options(survey.lonely.psu = lonely)
  on.exit(options(old))
  des <- eval(parse(text = r_design))
  results <- list()
  for (r in requests) {
    est <- tryCatch(run_one(des, data, r), error = function(e) stop(name, ": ", r$statistic, " ", r$variable, ": ", conditionMessage(e)))
    results[[length(results) + 1]] <- list(request = r, estimates = est)
  }
  list(name = name, data = paste0("data/", data_name, ".csv"), r_call = r_design,
       lonely_psu = lonely, design = python_design, results = results)
}

w <- function(r, sql = r) list(r = r, sql = sql)

synthetic_requests <- list(
  req("total", "y", na_rm = TRUE),
  req("total", "x"),
  req("mean", "x", by = "sex"),
  req("mean", "y", by = c("region", "sex"), na_rm = TRUE),
  req("mean", "y", where = w("age >= 40"), na_rm = TRUE),
  req("mean", "x", where = w("sex == 'F' & age < 50", "sex = 'F' and age < 50")),
  req("proportion", "region", by = "sex", na_rm = TRUE, categorical = TRUE),
  req("total", "sex", categorical = TRUE),
  req("proportion", "employed", categorical = TRUE),
  req("ratio", "y", "x", na_rm = TRUE),
  req("ratio", "y", "x", by = "sex", na_rm = TRUE),
  req("total", "employed", by = "region", na_rm = TRUE)
)
lonely_requests <- list(
  req("total", "x"), req("mean", "y", na_rm = TRUE), req("mean", "x", by = "sex"),
  req("ratio", "y", "x", na_rm = TRUE),
  req("mean", "x", where = w("stratum < 6")),
  req("total", "y", where = w("stratum != 2 & stratum != 6", "stratum <> 2 and stratum <> 6"),
      na_rm = TRUE)
)

cases <- list(
  case("election_pps", "election_pps", "svydesign(ids=~1, probs=~p, data=data)",
       list(ids = "1", probs = "p"),
       list(req("total", "Bush"), req("total", "Kerry"), req("mean", "Nader"),
            req("ratio", "Bush", "votes"), req("mean", "Kerry", by = "size"),
            req("total", "size", categorical = TRUE),
            req("ratio", "Kerry", "votes", by = "size"))),
  case("scd_fpc", "scd", "svydesign(ids=~ambulance, strata=~ESA, probs=~one, fpc=~popsize, nest=TRUE, data=data)",
       list(ids = "ambulance", strata = "ESA", probs = "one", fpc = "popsize", nest = TRUE),
       list(req("total", "arrests"), req("mean", "alive"), req("ratio", "alive", "arrests"))),
  case("scd_nofpc", "scd", "svydesign(ids=~ambulance, strata=~ESA, probs=~one, nest=TRUE, data=data)",
       list(ids = "ambulance", strata = "ESA", probs = "one", nest = TRUE),
       list(req("total", "arrests"), req("mean", "alive"), req("ratio", "alive", "arrests"))),
  case("fpc_weights", "fpc", "svydesign(ids=~psuid, strata=~stratid, weights=~weight, fpc=~Nh, nest=TRUE, data=data)",
       list(ids = "psuid", strata = "stratid", weights = "weight", fpc = "Nh", nest = TRUE),
       list(req("total", "x"), req("mean", "x"))),
  case("fpc_derived", "fpc", "svydesign(ids=~psuid, strata=~stratid, fpc=~Nh, nest=TRUE, data=data)",
       list(ids = "psuid", strata = "stratid", fpc = "Nh", nest = TRUE),
       list(req("total", "x"), req("mean", "x"))),
  case("fpc_fraction", "fpc", "svydesign(ids=~psuid, strata=~stratid, fpc=~frac, nest=TRUE, data=data)",
       list(ids = "psuid", strata = "stratid", fpc = "frac", nest = TRUE),
       list(req("total", "x"), req("mean", "x"))),
  case("fpc_nofpc", "fpc", "svydesign(ids=~psuid, strata=~stratid, weights=~weight, nest=TRUE, data=data)",
       list(ids = "psuid", strata = "stratid", weights = "weight", nest = TRUE),
       list(req("total", "x"), req("mean", "x"))),
  case("mu284_two_stage", "mu284", "svydesign(ids=~id1+id2, fpc=~n1+n2, data=data)",
       list(ids = "id1+id2", fpc = "n1+n2"),
       list(req("total", "y1"), req("mean", "y1"))),
  case("nhanes", "nhanes", "svydesign(ids=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=data)",
       list(ids = "SDMVPSU", strata = "SDMVSTRA", weights = "WTMEC2YR", nest = TRUE),
       list(req("mean", "HI_CHOL", na_rm = TRUE), req("total", "HI_CHOL", na_rm = TRUE),
            req("mean", "HI_CHOL", by = "race", na_rm = TRUE),
            req("mean", "HI_CHOL", by = c("RIAGENDR", "agecat"), na_rm = TRUE),
            req("proportion", "agecat", by = "RIAGENDR", categorical = TRUE),
            req("total", "agecat", categorical = TRUE),
            req("proportion", "race", categorical = TRUE),
            req("mean", "HI_CHOL", where = w("RIAGENDR == 2", "RIAGENDR = 2"), na_rm = TRUE))),
  case("synthetic_one_stage", "synthetic",
       "svydesign(ids=~psu_ok, strata=~stratum_ok, weights=~w, nest=TRUE, data=data)",
       list(ids = "psu_ok", strata = "stratum_ok", weights = "w", nest = TRUE),
       synthetic_requests),
  case("synthetic_two_stage_fpc", "synthetic",
       "svydesign(ids=~psu_ok+ssu, strata=~stratum_ok, weights=~w, fpc=~N1_ok+N2, nest=TRUE, data=data)",
       list(ids = "psu_ok+ssu", strata = "stratum_ok", weights = "w", fpc = "N1_ok+N2", nest = TRUE),
       synthetic_requests),
  case("synthetic_two_stage_fraction_derived", "synthetic",
       "svydesign(ids=~psu_ok+ssu, strata=~stratum_ok, fpc=~f1_ok+f2, nest=TRUE, data=data)",
       list(ids = "psu_ok+ssu", strata = "stratum_ok", fpc = "f1_ok+f2", nest = TRUE),
       synthetic_requests),
  case("synthetic_unstratified", "synthetic",
       "svydesign(ids=~psu_global, weights=~w, data=data)",
       list(ids = "psu_global", weights = "w"),
       synthetic_requests),
  case("synthetic_stratified_srs", "synthetic",
       "svydesign(ids=~1, strata=~stratum, weights=~w, data=data)",
       list(ids = "1", strata = "stratum", weights = "w"),
       synthetic_requests)
)
for (opt in c("remove", "adjust", "average", "certainty")) {
  cases[[length(cases) + 1]] <- case(
    paste0("synthetic_lonely_", opt), "synthetic",
    "svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE, data=data)",
    list(ids = "psu", strata = "stratum", weights = "w", nest = TRUE, lonely_psu = opt),
    lonely_requests, lonely = opt)
}

out <- list(
  source = paste("R", R.version$major, ".", R.version$minor, "survey",
                 as.character(packageVersion("survey")), "; tests/golden/R/taylor.R"),
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", na = "string", pretty = TRUE),
           "tests/golden/taylor.json")
cat("cases:", length(cases), "\n")
