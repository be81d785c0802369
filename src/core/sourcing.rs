//! The sourcing rule: which of the ways to get a part to a site is taken.
//! The live service (the allocation flow) and the simulator
//! ([`super::sim`]) both decide with this module, so a plan simulates the
//! rule operations follow.
//!
//! An [`Offer`] is one way to get the units to the site: the site's
//! serving warehouse from its own shelf, another warehouse through its lane
//! (a *lateral*), or whatever else a caller can offer (the simulator's
//! emergency courier). Among the offers that have the stock:
//! 1. the serving warehouse, if it arrives by the deadline;
//! 2. else the offers that arrive by the deadline, cheapest first, then
//!    earliest;
//! 3. else the earliest arrival, then the cheapest: the request is at risk.
//!
//! Cost before speed within the deadline, because an SLA is met or missed
//! at the deadline, not before it: arriving earlier than promised earns
//! nothing, a cheaper lane saves money on every request. Past the deadline
//! every hour of delay counts, so speed comes first. Ties keep the order
//! the offers were given in, which callers make deterministic (warehouse
//! id, lane order).
use std::cmp::Ordering;

/// One way to get the units to the site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer<S, T, C> {
    /// Where the units come from, as the caller names it.
    pub source: S,
    /// From the site's serving warehouse's own shelf.
    pub serving: bool,
    /// When the units would arrive at the site.
    pub arrival: T,
    /// What the shipment would cost (zero from the serving shelf).
    pub cost: C,
}

impl<S, T: PartialOrd, C> Offer<S, T, C> {
    /// Whether the units arrive by `deadline`.
    pub fn in_time(&self, deadline: &T) -> bool {
        self.arrival <= *deadline
    }

    /// Whether no other offer can be preferred to this one: the serving
    /// shelf in time. A caller may stop looking once it has it.
    pub fn unbeatable(&self, deadline: &T) -> bool {
        self.serving && self.in_time(deadline)
    }
}

/// The order of preference of the rule: `Less` when `a` is taken before
/// `b`. Incomparable values (a NaN) compare equal, keeping the given order.
pub fn compare<S, T: PartialOrd, C: PartialOrd>(
    a: &Offer<S, T, C>,
    b: &Offer<S, T, C>,
    deadline: &T,
) -> Ordering {
    let tier = |o: &Offer<S, T, C>| match (o.in_time(deadline), o.serving) {
        (true, true) => 0,
        (true, false) => 1,
        (false, _) => 2,
    };
    let partial = |x: Option<Ordering>| x.unwrap_or(Ordering::Equal);
    tier(a).cmp(&tier(b)).then_with(|| {
        if tier(a) == 2 {
            partial(a.arrival.partial_cmp(&b.arrival))
                .then_with(|| partial(a.cost.partial_cmp(&b.cost)))
        } else {
            partial(a.cost.partial_cmp(&b.cost))
                .then_with(|| partial(a.arrival.partial_cmp(&b.arrival)))
        }
    })
}

/// The offers in the order they are tried (a stable sort: ties keep the
/// given order).
pub fn rank<S, T: PartialOrd, C: PartialOrd>(offers: &mut [Offer<S, T, C>], deadline: &T) {
    offers.sort_by(|a, b| compare(a, b, deadline));
}

/// The offer taken, if any: the first of the most preferred.
pub fn choose<S, T: PartialOrd, C: PartialOrd>(
    offers: impl IntoIterator<Item = Offer<S, T, C>>,
    deadline: &T,
) -> Option<Offer<S, T, C>> {
    offers.into_iter().fold(None, |best, o| match best {
        Some(b) if compare(&o, &b, deadline) != Ordering::Less => Some(b),
        _ => Some(o),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(source: u32, serving: bool, arrival: f64, cost: f64) -> Offer<u32, f64, f64> {
        Offer {
            source,
            serving,
            arrival,
            cost,
        }
    }

    fn order(mut offers: Vec<Offer<u32, f64, f64>>, deadline: f64) -> Vec<u32> {
        rank(&mut offers, &deadline);
        offers.iter().map(|o| o.source).collect()
    }

    #[test]
    fn serving_first_then_cheapest_in_time_then_earliest() {
        let offers = vec![
            offer(3, false, 5.0, 90.0),
            offer(2, false, 6.0, 40.0),
            offer(1, true, 2.0, 0.0),
            offer(4, false, 9.0, 1.0),
            offer(5, false, 7.0, 5.0),
        ];
        assert_eq!(order(offers, 6.0), vec![1, 2, 3, 5, 4]);
    }

    #[test]
    fn a_late_serving_shelf_competes_on_arrival() {
        let offers = vec![offer(1, true, 10.0, 0.0), offer(2, false, 8.0, 100.0)];
        assert_eq!(order(offers, 4.0), vec![2, 1]);
    }

    #[test]
    fn equal_offers_keep_their_order_and_choose_takes_the_first() {
        let offers = vec![offer(7, false, 3.0, 5.0), offer(8, false, 3.0, 5.0)];
        assert_eq!(order(offers.clone(), 4.0), vec![7, 8]);
        assert_eq!(choose(offers, &4.0).map(|o| o.source), Some(7));
        assert_eq!(choose(Vec::<Offer<u32, f64, f64>>::new(), &4.0), None);
    }

    #[test]
    fn an_in_time_serving_shelf_is_unbeatable() {
        assert!(offer(1, true, 2.0, 0.0).unbeatable(&2.0));
        assert!(!offer(1, true, 2.5, 0.0).unbeatable(&2.0));
        assert!(!offer(2, false, 1.0, 0.0).unbeatable(&2.0));
    }
}
