//! Teunter–Syntetos–Babai (TSB): smooth the demand probability every period and the
//! demand size only when demand occurs; forecast their product.
//!
//! Unlike Croston, the probability keeps decaying through long runs of zeros, so an
//! obsolescent part's forecast falls towards zero. Follows statsforecast `_tsb`: the
//! probability series is `1` for every non-zero period and `0` otherwise, sizes are the
//! positive values, both smoothed by [`super::ses`] with level initialised to the first
//! value; an all-zero (or empty) series forecasts `0.0`.

use super::ses::Smoother;

/// One-step TSB forecast with size smoothing `alpha_d` and probability smoothing
/// `alpha_p`.
pub fn tsb(y: &[f64], alpha_d: f64, alpha_p: f64) -> f64 {
    let mut probability = Smoother::new(alpha_p);
    let mut size = Smoother::new(alpha_d);
    let mut any_demand = false;
    // One pass: the probability and size recursions are independent and overlap.
    for &value in y {
        let occurred = value != 0.0;
        any_demand |= occurred;
        probability.push(if occurred { 1.0 } else { 0.0 });
        if value > 0.0 {
            size.push(value);
        }
    }
    if !any_demand {
        return 0.0;
    }
    probability.forecast() * size.forecast()
}
