//! Demand classification by ADI and CV² (Syntetos–Boylan, with the cut-offs of
//! Syntetos, Boylan & Croston 2005).
//!
//! - **ADI**, average inter-demand interval: the mean of the intervals between non-zero
//!   periods, with the **first interval counted from the start of the series** (the
//!   convention of [`super::croston::inter_demand_intervals`] and of statsforecast's
//!   ADIDA/IMAPA). It equals `position of the last demand (1-based) / number of
//!   demands`; trailing zeros after the last demand are not counted. (The other common
//!   convention, `series length / number of demands`, counts them.)
//! - **CV²**, squared coefficient of variation of the non-zero demand sizes:
//!   population variance (divide by the number of demands) over the squared mean. The
//!   population form keeps CV² defined (0) for a single demand, where the sample
//!   variance is undefined.
//!
//! Classes, with ADI > 1.32 meaning "intermittent timing" and CV² > 0.49 meaning
//! "variable sizes" (a value exactly on a cut-off counts as below it):
//!
//! | | CV² ≤ 0.49 | CV² > 0.49 |
//! |---|---|---|
//! | ADI ≤ 1.32 | smooth | erratic |
//! | ADI > 1.32 | intermittent | lumpy |
//!
//! A series with no demand at all has neither statistic and gets the class
//! [`DemandClass::NoDemand`].

use serde::Serialize;

use super::croston::demand_sizes;

/// ADI cut-off between regular and intermittent demand timing.
pub const ADI_CUTOFF: f64 = 1.32;

/// CV² cut-off between steady and variable demand sizes.
pub const CV2_CUTOFF: f64 = 0.49;

/// Syntetos–Boylan demand class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DemandClass {
    /// Regular timing, steady sizes.
    Smooth,
    /// Regular timing, variable sizes.
    Erratic,
    /// Intermittent timing, steady sizes.
    Intermittent,
    /// Intermittent timing, variable sizes.
    Lumpy,
    /// No non-zero demand in the history.
    NoDemand,
}

impl DemandClass {
    /// The class's name as printed by the CLI.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Smooth => "smooth",
            Self::Erratic => "erratic",
            Self::Intermittent => "intermittent",
            Self::Lumpy => "lumpy",
            Self::NoDemand => "no-demand",
        }
    }
}

/// A series' class with the statistics behind it (`None` without demand).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Classification {
    /// The demand class.
    pub class: DemandClass,
    /// Average inter-demand interval.
    pub adi: Option<f64>,
    /// Squared coefficient of variation of the non-zero demand sizes.
    pub cv2: Option<f64>,
}

/// The class for given ADI and CV², applying the cut-offs.
pub fn class_of(adi: f64, cv2: f64) -> DemandClass {
    match (adi > ADI_CUTOFF, cv2 > CV2_CUTOFF) {
        (false, false) => DemandClass::Smooth,
        (false, true) => DemandClass::Erratic,
        (true, false) => DemandClass::Intermittent,
        (true, true) => DemandClass::Lumpy,
    }
}

/// Average inter-demand interval of `y`, or `None` without demand.
///
/// The intervals add up to the position of the last demand, so ADI is that position
/// over the number of demands (exactly, as whole numbers). Counting them without a
/// branch per value matters: zeros and demands alternate unpredictably.
pub fn adi(y: &[f64]) -> Option<f64> {
    let (count, last_position) = (1_usize..).zip(y).fold(
        (0_usize, 0_usize),
        |(count, last_position), (position, value)| {
            let demand = *value != 0.0;
            let last_position = if demand { position } else { last_position };
            (count + usize::from(demand), last_position)
        },
    );
    (count > 0).then(|| last_position as f64 / count as f64)
}

/// Squared coefficient of variation of the positive demand sizes of `y`, or `None`
/// without demand.
pub fn cv2(y: &[f64]) -> Option<f64> {
    let (count, total) = demand_sizes(y).fold((0_usize, 0.0), |(count, total), size| {
        (count + 1, total + size)
    });
    if count == 0 {
        return None;
    }
    let mean = total / count as f64;
    let variance = demand_sizes(y)
        .map(|size| (size - mean) * (size - mean))
        .sum::<f64>()
        / count as f64;
    Some(variance / (mean * mean))
}

/// Classifies the history `y`.
pub fn classify(y: &[f64]) -> Classification {
    match (adi(y), cv2(y)) {
        (Some(adi), Some(cv2)) => Classification {
            class: class_of(adi, cv2),
            adi: Some(adi),
            cv2: Some(cv2),
        },
        _ => Classification {
            class: DemandClass::NoDemand,
            adi: None,
            cv2: None,
        },
    }
}
