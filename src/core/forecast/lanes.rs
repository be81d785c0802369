//! Many SES recursions side by side: the kernel behind the batched optimiser.
//!
//! One SES sum of squared errors is a chain of dependent multiply-adds: each level
//! waits for the previous one, so a single evaluation leaves most of the processor idle.
//! [`InterleavedLanes`] lays [`LANES`] series out period by period and runs their
//! recursions together, which the compiler turns into SIMD instructions. Every lane
//! performs exactly the operations of [`super::ses::ses_sse`] in the same order, so the
//! results are bit-identical. [`in_lanes`] cuts a batch of inputs into such groups and
//! [`PackedSeries`] holds a batch's inputs in one buffer.

/// Number of recursions run side by side. On carparts 16 was fastest: 8 lanes still
/// wait on the multiply-add latency, 32 run out of vector registers.
pub const LANES: usize = 16;

/// Values of [`LANES`] series laid out period by period, so that one pass over memory
/// feeds every lane: `rows[i][lane]` is period `i` of that lane's series. Only the
/// periods all lanes have (the shortest length) are interleaved; the longer lanes'
/// remaining periods are read from their own slices.
pub struct InterleavedLanes<'a> {
    series: [&'a [f64]; LANES],
    rows: Vec<[f64; LANES]>,
    /// Some lane is longer than the interleaved prefix (or has fewer than 2 values).
    ragged: bool,
}

impl<'a> InterleavedLanes<'a> {
    /// Interleaves the common prefix of `series`.
    pub fn new(series: [&'a [f64]; LANES]) -> Self {
        let common = series.iter().map(|values| values.len()).min().unwrap_or(0);
        let mut rows = vec![[0.0; LANES]; common];
        for (lane, values) in series.iter().enumerate() {
            for (row, &value) in rows.iter_mut().zip(values.iter()) {
                row[lane] = value;
            }
        }
        let ragged = common < 2 || series.iter().any(|values| values.len() > common);
        Self {
            series,
            rows,
            ragged,
        }
    }

    /// The SSE recursion of [`ses_sse`](super::ses::ses_sse) over every lane's full
    /// series: the final levels (the one-step forecast of the last value) and SSEs.
    /// Lanes with fewer than two values report a level of `0.0` and an SSE of `0.0`.
    fn smooth(&self, alphas: [f64; LANES]) -> ([f64; LANES], [f64; LANES]) {
        let complements = alphas.map(|alpha| 1.0 - alpha);
        let (mut levels, mut sses) = sse_rows(&self.rows, alphas, complements);
        if !self.ragged {
            return (levels, sses);
        }
        // Periods beyond the common prefix, lane by lane, continuing the same recursion.
        let common = self.rows.len();
        for lane in 0..LANES {
            let values = self.series[lane];
            if values.len() < 2 {
                (levels[lane], sses[lane]) = (0.0, 0.0);
                continue;
            }
            if common == 0 {
                levels[lane] = values[0];
            }
            for period in common.max(1)..values.len() {
                levels[lane] = alphas[lane] * values[period - 1] + complements[lane] * levels[lane];
                let error = values[period] - levels[lane];
                sses[lane] += error * error;
            }
        }
        (levels, sses)
    }

    /// [`ses_sse`](super::ses::ses_sse) of every lane, lane `l` smoothed with
    /// `alphas[l]`, bit-identical to calling it per lane.
    pub fn ses_sse(&self, alphas: [f64; LANES]) -> [f64; LANES] {
        self.smooth(alphas).1
    }

    /// [`ses_forecast`](super::ses::ses_forecast) of every lane, bit for bit: the last
    /// value smoothed into the final level of [`Self::ses_sse`]'s recursion.
    pub fn ses_forecasts(&self, alphas: [f64; LANES]) -> [f64; LANES] {
        let (levels, _) = self.smooth(alphas);
        std::array::from_fn(|lane| match self.series[lane] {
            [] => 0.0,
            [only] => *only,
            [.., last] => alphas[lane] * last + (1.0 - alphas[lane]) * levels[lane],
        })
    }
}

/// The SSE recursion over interleaved rows, all lanes at once; returns the lanes'
/// final levels and SSEs.
///
/// On x86-64 processors with AVX the same code is compiled a second time with AVX
/// enabled and chosen at run time: twice as many lanes per instruction. The arithmetic
/// is unchanged (separate multiplies and adds, never fused), so results are identical.
fn sse_rows(
    rows: &[[f64; LANES]],
    alphas: [f64; LANES],
    complements: [f64; LANES],
) -> ([f64; LANES], [f64; LANES]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the processor supports AVX, as checked just above.
        return unsafe { sse_rows_avx(rows, alphas, complements) };
    }
    sse_rows_portable(rows, alphas, complements)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn sse_rows_avx(
    rows: &[[f64; LANES]],
    alphas: [f64; LANES],
    complements: [f64; LANES],
) -> ([f64; LANES], [f64; LANES]) {
    sse_rows_body(rows, alphas, complements)
}

/// Kept out of line so that the compiler vectorises its loop (inlined into the
/// search, it stayed scalar).
#[inline(never)]
fn sse_rows_portable(
    rows: &[[f64; LANES]],
    alphas: [f64; LANES],
    complements: [f64; LANES],
) -> ([f64; LANES], [f64; LANES]) {
    sse_rows_body(rows, alphas, complements)
}

#[inline(always)]
fn sse_rows_body(
    rows: &[[f64; LANES]],
    alphas: [f64; LANES],
    complements: [f64; LANES],
) -> ([f64; LANES], [f64; LANES]) {
    let mut sses = [0.0; LANES];
    let Some((first, rest)) = rows.split_first() else {
        return ([0.0; LANES], sses);
    };
    let mut levels = *first;
    let mut previous = first;
    for row in rest {
        for lane in 0..LANES {
            levels[lane] = alphas[lane] * previous[lane] + complements[lane] * levels[lane];
            let error = row[lane] - levels[lane];
            sses[lane] += error * error;
        }
        previous = row;
    }
    (levels, sses)
}

/// Runs `per_group` on the inputs [`LANES`] at a time and gathers its per-lane results
/// in input order. The inputs left over after the last full group go through
/// `per_input` one at a time: lanes filled with padding cost more than they save
/// (measured on carparts), so a single series (`forecast_one`) never pays for them.
///
/// Inputs are grouped by length so that the lanes of a group do nearly the same amount
/// of work.
pub fn in_lanes(
    inputs: &[&[f64]],
    mut per_group: impl FnMut(&InterleavedLanes) -> [f64; LANES],
    per_input: impl Fn(&[f64]) -> f64,
) -> Vec<f64> {
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&index| inputs[index].len());
    let mut results = vec![0.0; inputs.len()];
    let mut groups = order.chunks_exact(LANES);
    for group in &mut groups {
        let series = std::array::from_fn(|lane| inputs[group[lane]]);
        let group_results = per_group(&InterleavedLanes::new(series));
        for (&index, result) in group.iter().zip(group_results) {
            results[index] = result;
        }
    }
    for &index in groups.remainder() {
        results[index] = per_input(inputs[index]);
    }
    results
}

/// Many series stored back to back in one buffer, so that a batch (every series, or
/// every aggregation level of every series) costs two allocations.
#[derive(Debug, Default)]
pub struct PackedSeries {
    values: Vec<f64>,
    ends: Vec<usize>,
}

impl PackedSeries {
    /// Appends one series.
    pub fn push(&mut self, values: impl IntoIterator<Item = f64>) {
        self.values.extend(values);
        self.ends.push(self.values.len());
    }

    /// The series in the order pushed.
    pub fn slices(&self) -> Vec<&[f64]> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let slice = &self.values[start..end];
                start = end;
                slice
            })
            .collect()
    }
}
