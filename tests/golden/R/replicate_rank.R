# Reference numbers for the degrees of freedom of raked replicate designs in
# amargah.stats: R's degf is the rank of the replicate weights as qr(tol = 1e-5) counts
# it, and weights raked short of convergence (rake's default stopping rule) have
# columns that are nearly, not quite, combinations of others, which a threshold on
# singular values counts differently. Synthetic data: 160 schools-like units in three
# strata, each its own PSU (with domains: R's degf of each domain's subset); and 160
# PSUs of one to three rows; and 40 PSUs of one to five rows of unequal weights, whose
# domains' ranks need R's rows weighted as they are. Run from the repository root:
#   Rscript tests/golden/R/replicate_rank.R
# Writes tests/golden/replicate_rank.json and tests/golden/data/rank_synthetic.csv,
# rank_clustered*.csv, rank_weighted*.csv, rank_supplied.csv, rank_h.csv, rank_a.csv and
# rank_b.csv.
# survey 4.1.1.
suppressMessages(library(survey))
library(jsonlite)
dir <- "tests/golden/data"
set.seed(4)
n <- c(70, 50, 40)
h <- rep(1:3, n)
m <- sum(n)
units <- data.frame(h = h, w = c(20, 15, 25)[h] * runif(m, 0.9, 1.1),
                    a = sample(c("p", "q"), m, TRUE, prob = c(0.2, 0.8)),
                    b = sample(c("x", "y", "z"), m, TRUE), y = round(rnorm(m, 50, 10), 1))
write.csv(units, file.path(dir, "rank_synthetic.csv"), row.names = FALSE)
total <- sum(units$w)
margins <- list(
  h = data.frame(h = 1:3, Freq = round(total * c(0.5, 0.3, 0.2))),
  a = data.frame(a = c("p", "q"), Freq = round(total * c(0.3, 0.7))),
  b = data.frame(b = c("x", "y", "z"), Freq = round(total * c(0.4, 0.35, 0.25)))
)
for (name in names(margins)) {
  write.csv(margins[[name]], file.path(dir, sprintf("rank_%s.csv", name)), row.names = FALSE)
}

design <- svydesign(id = ~1, strata = ~h, weights = ~w, data = units)
jackknife <- as.svrepdesign(design, type = "JKn")
cases <- list()
for (pair in list(c("h", "a"), c("a", "b"))) {
  raked <- rake(jackknife, lapply(pair, function(v) as.formula(paste0("~", v))),
                margins[pair])
  weights <- weights(raked, "analysis")
  values <- eigen(crossprod(weights), symmetric = TRUE, only.values = TRUE)$values
  median <- svyquantile(~y, raked, 0.5, ci = TRUE)
  mean <- svymean(~y, raked)
  cases[[length(cases) + 1]] <- list(
    data = "rank_synthetic.csv", ids = "1", margins = pair, df = degf(raked),
    # what a threshold of 1e-5 on singular values would give: not R's
    singular_value_df = sum(values > 1e-10 * max(values)) - 1,
    median = list(estimate = unname(coef(median)), se = unname(SE(median)),
                  ci = unname(as.numeric(confint(median)))),
    mean = list(estimate = unname(coef(mean)), se = unname(SE(mean))))
}

# domains of the first raked design: each subset's own rank
raked <- rake(jackknife, list(~h, ~a), margins[c("h", "a")])
by_b <- svyby(~y, ~b, raked, svyquantile, quantiles = 0.5, ci = TRUE)
domains <- lapply(seq_len(nrow(by_b)), function(i) list(
  b = as.character(by_b$b[i]), df = degf(subset(raked, b == by_b$b[i])),
  estimate = by_b$y[i], se = by_b$se.y[i]))

# PSUs of several rows: R's matrix repeats a PSU's row for each of its data rows
set.seed(3)
psus <- 160
strata <- rep(1:3, c(70, 50, 40))
size <- sample(1:3, psus, TRUE, prob = c(0.6, 0.3, 0.1))
psu <- rep(seq_len(psus), size)
psu_weight <- c(20, 15, 25)[strata] * runif(psus, 0.9, 1.1)
clustered <- data.frame(h = strata[psu], psu = psu, w = psu_weight[psu],
                        a = sample(c("p", "q"), length(psu), TRUE, prob = c(0.2, 0.8)),
                        y = round(rnorm(length(psu), 50, 10), 1))
write.csv(clustered, file.path(dir, "rank_clustered.csv"), row.names = FALSE)
total <- sum(clustered$w)
write.csv(data.frame(h = 1:3, Freq = round(total * c(0.5, 0.3, 0.2))),
          file.path(dir, "rank_clustered_h.csv"), row.names = FALSE)
write.csv(data.frame(a = c("p", "q"), Freq = round(total * c(0.3, 0.7))),
          file.path(dir, "rank_clustered_a.csv"), row.names = FALSE)
raked <- rake(as.svrepdesign(svydesign(id = ~psu, strata = ~h, weights = ~w, data = clustered),
                             type = "JKn"),
              list(~h, ~a),
              list(read.csv(file.path(dir, "rank_clustered_h.csv")),
                   read.csv(file.path(dir, "rank_clustered_a.csv"))))
weights <- weights(raked, "analysis")
values <- eigen(crossprod(weights), symmetric = TRUE, only.values = TRUE)$values
median <- svyquantile(~y, raked, 0.5, ci = TRUE)
cases[[length(cases) + 1]] <- list(
  data = "rank_clustered.csv", ids = "psu", margins = c("clustered_h", "clustered_a"),
  df = degf(raked), singular_value_df = sum(values > 1e-10 * max(values)) - 1,
  median = list(estimate = unname(coef(median)), se = unname(SE(median)),
                ci = unname(as.numeric(confint(median)))),
  mean = list(estimate = unname(coef(svymean(~y, raked))), se = unname(SE(svymean(~y, raked)))))

# unequal weights within PSUs: R's rows are weight x replicate factors, and a domain's
# rank depends on the weights (counting each PSU and raking cell once gives 36, not 35)
set.seed(22)
size <- sample(1:5, 40, TRUE)
psu <- rep(seq_len(40), size)
rows <- length(psu)
weighted <- data.frame(psu = psu, w = round(runif(rows, 10, 40), 2),
                       a = sample(c("p", "q"), rows, TRUE),
                       b = sample(c("x", "y"), rows, TRUE, prob = c(0.3, 0.7)),
                       c = sample(c("u", "v"), rows, TRUE, prob = c(0.6, 0.4)),
                       d = sample(c("k", "l"), rows, TRUE), y = round(rnorm(rows, 50, 10), 1))
write.csv(weighted, file.path(dir, "rank_weighted.csv"), row.names = FALSE)
total <- sum(weighted$w)
weighted_margins <- list(
  a = data.frame(a = c("p", "q"), Freq = round(total * c(0.45, 0.55))),
  b = data.frame(b = c("x", "y"), Freq = round(total * c(0.35, 0.65))),
  c = data.frame(c = c("u", "v"), Freq = round(total * c(0.55, 0.45))))
for (name in names(weighted_margins)) {
  write.csv(weighted_margins[[name]], file.path(dir, sprintf("rank_weighted_%s.csv", name)),
            row.names = FALSE)
}
raked <- suppressWarnings(rake(
  as.svrepdesign(svydesign(id = ~psu, weights = ~w, data = weighted), type = "JK1"),
  list(~a, ~b, ~c), weighted_margins))
by_d <- svyby(~y, ~d, raked, svyquantile, quantiles = 0.5, ci = TRUE)
weighted_df <- degf(raked)
weighted_domains <- lapply(seq_len(nrow(by_d)), function(i) list(
  d = as.character(by_d$d[i]), df = degf(subset(raked, d == by_d$d[i])),
  estimate = by_d$y[i], se = by_d$se.y[i]))

# replicate weight columns given with the data (JK1 over the first set's units), raked:
# R recomputes the rank of the re-weighted columns
columns <- weights(as.svrepdesign(svydesign(id = ~1, weights = ~w, data = units), type = "JK1"),
                   "analysis")
colnames(columns) <- paste0("rep", seq_len(ncol(columns)))
supplied <- cbind(units, columns)
write.csv(supplied, file.path(dir, "rank_supplied.csv"), row.names = FALSE)
given <- svrepdesign(data = supplied, repweights = "rep[0-9]+", weights = ~w, type = "JK1",
                     combined.weights = TRUE, scale = (ncol(columns) - 1) / ncol(columns))
raked <- rake(given, list(~h, ~a), margins[c("h", "a")])
supplied_case <- list(df = degf(raked), domains = lapply(c("x", "y", "z"), function(level)
  list(b = level, df = degf(subset(raked, b == level)))))

writeLines(toJSON(list(source = "survey 4.1.1, tests/golden/R/replicate_rank.R", cases = cases,
                       domains = domains, weighted_df = weighted_df,
                       weighted_domains = weighted_domains, supplied = supplied_case),
                  auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           "tests/golden/replicate_rank.json")
