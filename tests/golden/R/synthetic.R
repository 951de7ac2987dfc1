# Synthetic stratified two-stage sample for the golden tests of amargah.stats.
# Run from the repository root:  Rscript tests/golden/R/synthetic.R
# Writes tests/golden/data/synthetic.csv (committed; this script documents how it was made).
set.seed(20261127)
rows <- list()
strata_psus <- c(3, 4, 2, 5, 3, 1)   # stratum 6 has a single PSU (lonely)
strata_pop <- c(10, 12, 6, 20, 9, 4) # PSUs in the population of each stratum
for (h in seq_along(strata_psus)) {
  for (i in seq_len(strata_psus[h])) {
    n2 <- sample(2:4, 1)             # SSUs (households) sampled in the PSU
    N2 <- n2 + sample(3:12, 1)       # SSUs in the PSU
    for (j in seq_len(n2)) {
      m <- sample(1:4, 1)            # persons in the household
      for (k in seq_len(m)) {
        rows[[length(rows) + 1]] <- data.frame(
          stratum = h, psu = i, ssu = j, person = k,
          N1 = strata_pop[h], N2 = N2, n1 = strata_psus[h], n2 = n2
        )
      }
    }
  }
}
d <- do.call(rbind, rows)
n <- nrow(d)
d$stratum_ok <- ifelse(d$stratum == 6, 5, d$stratum)  # no lonely stratum
d$psu_ok <- ifelse(d$stratum == 6, d$psu + 10, d$psu)  # keep PSU 6/1 distinct in stratum 5
d$psu_global <- d$stratum * 100 + d$psu
d$N1_ok <- ifelse(d$stratum_ok == 5, 13, d$N1)       # population PSUs of merged stratum 5
d$f1_ok <- ifelse(d$stratum_ok == 5, 4, d$n1) / d$N1_ok
d$f1 <- d$n1 / d$N1
d$f2 <- d$n2 / d$N2
d$w <- (d$N1 / d$n1) * (d$N2 / d$n2) * runif(n, 0.9, 1.1)
d$sex <- sample(c("F", "M"), n, replace = TRUE)
d$region <- sample(c("north", "south", "east"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2))
d$region[sample(n, 6)] <- NA
d$age <- sample(15:80, n, replace = TRUE)
d$x <- round(rgamma(n, shape = 3, rate = 0.1) + d$stratum * 5, 2)
d$y <- round(0.8 * d$x + rnorm(n, 0, 8) + ifelse(d$sex == "F", 4, 0), 2)
d$y[sample(n, 7)] <- NA
d$employed <- as.integer(runif(n) < 0.6)
write.csv(d, "tests/golden/data/synthetic.csv", row.names = FALSE, na = "")
cat("rows:", n, "\n")
