//! One replication: the event loop and the network's state.
//!
//! # Speed
//! - Failures of all Poisson streams form one superposed Poisson process of
//!   rate `Λ = Σ rates`; the stream of each failure is drawn from a Walker
//!   alias table in O(1). They never enter the event queue: the loop compares
//!   the next failure time with the head of the queue.
//! - The queue is a binary heap of 16-byte `Copy` events packed in a `u128`
//!   that compares as one integer; it only holds units in transit, in repair
//!   and on order, so it stays small.
//! - State is flat `Vec`s indexed by `part * warehouses + warehouse`; the
//!   backorder queues are `VecDeque`s that reach their working size during
//!   warm-up and are then reused, so steady state allocates nothing.
//!
//! # Sourcing
//! A failure's request is sourced by the rule of [`crate::core::sourcing`],
//! the one the live service applies, among the offers that have a unit on
//! their shelf: the serving warehouse (its shelf counts as *filled*, in
//! time or not), every other warehouse with a lane to the serving one
//! (lane plus the site's last leg: *lateral*), and the depot's emergency
//! courier straight to the site (*emergency*). With no offer the request
//! waits, first come first served, for the next unit to arrive at the
//! serving warehouse (*backorder*).
//!
//! The warehouse whose shelf gave the unit (or that holds the backorder)
//! sees the demand in its inventory position and replenishes from its parent
//! by its `(s, S)` level; the depot buys consumables from the supplier. A
//! repairable's defective unit goes back to the depot, is repaired after the
//! part's repair cycle and returns to the depot's shelf, unless it is beyond
//! repair, in which case a new one is bought (lead time). Repairables at the
//! depot are thus replenished one for one by the repair loop itself.
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use super::model::SimModel;
use super::time::deadline;
use super::{ReplicationResult, SlotCounters};
use crate::core::sourcing::{self, Offer};

/// Where a simulated unit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shelf {
    /// The serving warehouse's own shelf.
    Serving,
    /// Another warehouse's shelf, through its lane.
    Lateral(usize),
    /// The depot's shelf, by emergency courier to the site.
    Courier,
}

/// An offer of the sourcing rule in simulated days and cost.
type SimOffer = Offer<Shelf, f64, f64>;

/// Events between two looks at the stop flag, less one (a power of two).
const STOP_CHECK_MASK: u64 = (1 << 16) - 1;

/// Event kinds, stored in the top bits of [`Event::key`].
const ARRIVAL: u32 = 0;
const REPAIR_DONE: u32 = 1;
const HISTORY_PERIOD: u32 = 2;
const FAILURE: u32 = 3;
const KIND_SHIFT: u32 = 29;
const INDEX_MASK: u32 = (1 << KIND_SHIFT) - 1;

/// A scheduled event packed in one `u128` (16 bytes, `Copy`): from the top,
/// the time's IEEE bits (64; times are finite and >= 0, where the bit pattern
/// orders like the number), the key (32: kind in the top 3 bits, part or
/// stream below), the warehouse (16) and the quantity (16). Comparing two
/// events is one integer comparison, and equal times are ordered by key,
/// warehouse and quantity, so the order never depends on the heap's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event(u128);

impl Event {
    #[inline]
    fn new(time: f64, key: u32, warehouse: u16, quantity: u16) -> Self {
        debug_assert!(time >= 0.0 && time.is_finite());
        Self(
            (u128::from(time.to_bits()) << 64)
                | (u128::from(key) << 32)
                | (u128::from(warehouse) << 16)
                | u128::from(quantity),
        )
    }
    #[inline]
    fn time(self) -> f64 {
        f64::from_bits((self.0 >> 64) as u64)
    }
    #[inline]
    fn key(self) -> u32 {
        (self.0 >> 32) as u32
    }
    #[inline]
    fn warehouse(self) -> u16 {
        (self.0 >> 16) as u16
    }
    #[inline]
    fn quantity(self) -> u16 {
        self.0 as u16
    }
}

/// Who waits for a unit at a warehouse.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    /// A child warehouse's replenishment order for one unit.
    Child(u16),
    /// A field request.
    Request {
        stream: u32,
        deadline: f64,
        /// Raised after the warm-up, so it counts in the statistics.
        counted: bool,
    },
}

/// Walker's alias table: draws index `i` with probability `w_i / Σ w` in O(1).
#[derive(Debug, Clone)]
pub(super) struct AliasTable {
    probability: Vec<f64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// Vose's construction; weights must be finite, >= 0, with a positive sum.
    pub(super) fn new(weights: &[f64]) -> Self {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut probability: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| probability[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            probability[l] -= 1.0 - probability[s];
            if probability[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding.
        for i in small.into_iter().chain(large) {
            probability[i] = 1.0;
        }
        Self { probability, alias }
    }

    #[inline]
    fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> usize {
        let u: f64 = rng.random::<f64>() * self.probability.len() as f64;
        let i = (u as usize).min(self.probability.len() - 1);
        if u - (i as f64) < self.probability[i] {
            i
        } else {
            self.alias[i] as usize
        }
    }
}

/// What the engine precomputes once per model and shares between
/// replications (read-only).
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    /// Superposed Poisson rate of all non-history streams.
    total_rate: f64,
    /// Alias table over the Poisson streams (indices into `poisson_streams`).
    alias: Option<AliasTable>,
    poisson_streams: Vec<u32>,
    /// For each history part: its streams and their cumulative weights.
    history_streams: Vec<(Vec<u32>, Vec<f64>)>,
    /// Unit cost per slot, so shelf changes need no division.
    slot_cost: Vec<f64>,
}

impl Prepared {
    pub(super) fn new(model: &SimModel) -> Self {
        let mut poisson_streams = Vec::new();
        let mut weights = Vec::new();
        let mut history_streams = vec![(Vec::new(), Vec::new()); model.parts.len()];
        for (index, stream) in model.streams.iter().enumerate() {
            if model.parts[stream.part].history.is_some() {
                let (streams, cumulative): &mut (Vec<u32>, Vec<f64>) =
                    &mut history_streams[stream.part];
                let before = cumulative.last().copied().unwrap_or(0.0);
                streams.push(index as u32);
                cumulative.push(before + stream.rate);
            } else if stream.rate > 0.0 {
                poisson_streams.push(index as u32);
                weights.push(stream.rate);
            }
        }
        let total_rate: f64 = weights.iter().sum();
        let alias = (total_rate > 0.0).then(|| AliasTable::new(&weights));
        Self {
            total_rate,
            alias,
            poisson_streams,
            history_streams,
            slot_cost: (0..model.levels.len())
                .map(|slot| model.parts[slot / model.warehouses.len()].unit_cost)
                .collect(),
        }
    }
}

/// Exponential variate with rate `rate` (> 0).
#[inline]
fn exponential(rng: &mut Xoshiro256PlusPlus, rate: f64) -> f64 {
    // 1 - u is in (0, 1], so the logarithm is finite.
    -(1.0 - rng.random::<f64>()).ln() / rate
}

/// One replication's mutable state.
struct Engine<'m> {
    model: &'m SimModel,
    prepared: &'m Prepared,
    rng: Xoshiro256PlusPlus,
    heap: BinaryHeap<Reverse<Event>>,
    now: f64,
    warehouses: usize,
    on_hand: Vec<i64>,
    position: Vec<i64>,
    waiting: Vec<VecDeque<Waiting>>,
    /// Field requests waiting per slot, with their time integrals.
    backorders: Vec<u32>,
    backorder_area: Vec<f64>,
    short_time: Vec<f64>,
    last_change: Vec<f64>,
    /// Value on the shelves and its time integral.
    shelf_value: f64,
    shelf_area: f64,
    shelf_last: f64,
    counters: Vec<SlotCounters>,
    class_requests: Vec<u64>,
    class_on_time: Vec<u64>,
    emergencies: u64,
    emergency_cost: f64,
    laterals: u64,
    lateral_cost: f64,
    events: u64,
}

impl<'m> Engine<'m> {
    fn new(model: &'m SimModel, prepared: &'m Prepared, seed: u64) -> Self {
        let slots = model.levels.len();
        let on_hand: Vec<i64> = model.levels.iter().map(|l| l.max).collect();
        let shelf_value = on_hand
            .iter()
            .enumerate()
            .map(|(slot, &n)| n as f64 * model.parts[slot / model.warehouses.len()].unit_cost)
            .sum();
        Self {
            model,
            prepared,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            heap: BinaryHeap::with_capacity(1024),
            now: 0.0,
            warehouses: model.warehouses.len(),
            position: on_hand.clone(),
            on_hand,
            waiting: vec![VecDeque::new(); slots],
            backorders: vec![0; slots],
            backorder_area: vec![0.0; slots],
            short_time: vec![0.0; slots],
            last_change: vec![0.0; slots],
            shelf_value,
            shelf_area: 0.0,
            shelf_last: 0.0,
            counters: vec![SlotCounters::default(); slots],
            class_requests: vec![0; model.classes.len()],
            class_on_time: vec![0; model.classes.len()],
            emergencies: 0,
            emergency_cost: 0.0,
            laterals: 0,
            lateral_cost: 0.0,
            events: 0,
        }
    }

    /// Length of `[from, to]` that lies after the warm-up.
    #[inline]
    fn measured(&self, from: f64, to: f64) -> f64 {
        let w = self.model.warmup;
        (to.max(w) - from.max(w)).max(0.0)
    }

    #[inline]
    fn push(&mut self, time: f64, kind: u32, index: usize, warehouse: usize, quantity: u16) {
        self.heap.push(Reverse(Event::new(
            time,
            (kind << KIND_SHIFT) | index as u32,
            warehouse as u16,
            quantity,
        )));
    }

    #[inline]
    fn change_shelf(&mut self, slot: usize, delta: i64) {
        let dt = self.measured(self.shelf_last, self.now);
        self.shelf_area += self.shelf_value * dt;
        self.shelf_last = self.now;
        self.on_hand[slot] += delta;
        self.shelf_value += delta as f64 * self.prepared.slot_cost[slot];
    }

    #[inline]
    fn change_backorders(&mut self, slot: usize, up: bool) {
        let dt = self.measured(self.last_change[slot], self.now);
        let count = self.backorders[slot];
        self.backorder_area[slot] += f64::from(count) * dt;
        if count > 0 {
            self.short_time[slot] += dt;
        }
        self.last_change[slot] = self.now;
        if up {
            self.backorders[slot] = count + 1;
        } else {
            self.backorders[slot] = count - 1;
        }
    }

    /// Books a delivery to the site of `stream` arriving at `arrival`.
    #[inline]
    fn delivered(&mut self, stream: usize, deadline: f64, arrival: f64, counted: bool) {
        if counted && arrival <= deadline {
            let s = &self.model.streams[stream];
            self.counters[s.part * self.warehouses + s.warehouse].on_time += 1;
            self.class_on_time[s.class] += 1;
        }
    }

    /// `quantity` units of demand hit `warehouse`'s inventory position.
    fn demand_at(&mut self, part: usize, warehouse: usize, quantity: i64) {
        let slot = part * self.warehouses + warehouse;
        self.position[slot] -= quantity;
        if warehouse == self.model.depot && self.model.parts[part].repairable {
            // The defective unit's repair replenishes the depot.
            return;
        }
        let level = self.model.levels[slot];
        if self.position[slot] > level.reorder_point {
            return;
        }
        let order = level.max - self.position[slot];
        if order <= 0 {
            return;
        }
        self.position[slot] += order;
        match self.model.warehouses[warehouse].parent {
            None => {
                // Bought from the supplier, in chunks the event can carry.
                let mut left = order;
                let time = self.now + self.model.parts[part].lead_time;
                while left > 0 {
                    let chunk = left.min(i64::from(u16::MAX));
                    self.push(time, ARRIVAL, part, warehouse, chunk as u16);
                    left -= chunk;
                }
            }
            Some(parent) => self.order_from(part, parent, warehouse, order),
        }
    }

    /// `child` orders `quantity` units from `parent`.
    fn order_from(&mut self, part: usize, parent: usize, child: usize, quantity: i64) {
        let slot = part * self.warehouses + parent;
        let shipped = quantity.min(self.on_hand[slot].max(0));
        if shipped > 0 {
            self.change_shelf(slot, -shipped);
            let time = self.now + self.model.warehouses[child].transit_from_parent;
            let mut left = shipped;
            while left > 0 {
                let chunk = left.min(i64::from(u16::MAX));
                self.push(time, ARRIVAL, part, child, chunk as u16);
                left -= chunk;
            }
        }
        for _ in shipped..quantity {
            self.waiting[slot].push_back(Waiting::Child(child as u16));
        }
        self.demand_at(part, parent, quantity);
    }

    /// `quantity` units arrive on `warehouse`'s shelf: the oldest waiting
    /// demands take them first.
    fn arrival(&mut self, part: usize, warehouse: usize, quantity: u16) {
        let slot = part * self.warehouses + warehouse;
        let mut left = quantity;
        while left > 0 {
            let Some(waiting) = self.waiting[slot].pop_front() else {
                break;
            };
            left -= 1;
            match waiting {
                Waiting::Child(child) => {
                    let child = usize::from(child);
                    let time = self.now + self.model.warehouses[child].transit_from_parent;
                    self.push(time, ARRIVAL, part, child, 1);
                }
                Waiting::Request {
                    stream,
                    deadline,
                    counted,
                } => {
                    self.change_backorders(slot, false);
                    let stream = stream as usize;
                    let arrival = self.now + self.model.streams[stream].site_transit;
                    self.delivered(stream, deadline, arrival, counted);
                }
            }
        }
        if left > 0 {
            self.change_shelf(slot, i64::from(left));
        }
    }

    /// A unit of `stream`'s part fails at its site.
    fn failure(&mut self, stream_index: usize) {
        let stream = self.model.streams[stream_index];
        let part = stream.part;
        let w = stream.warehouse;
        let slot = part * self.warehouses + w;
        let class = &self.model.classes[stream.class];
        let due = deadline(self.now, class.window_hours, class.business_hours);
        let counted = self.now >= self.model.warmup;
        if counted {
            self.counters[slot].requests += 1;
            self.class_requests[stream.class] += 1;
        }
        let spec = &self.model.parts[part];
        if spec.repairable {
            let time = self.now + spec.repair_cycle;
            self.push(time, REPAIR_DONE, part, self.model.depot, 1);
        }
        let serving = Offer {
            source: Shelf::Serving,
            serving: true,
            arrival: self.now + stream.site_transit,
            cost: 0.0,
        };
        let chosen = if self.on_hand[slot] > 0 && serving.unbeatable(&due) {
            Some(serving)
        } else {
            sourcing::choose(self.offers(serving, w, part, stream.site_transit), &due)
        };
        if let Some(offer) = chosen {
            let from = match offer.source {
                Shelf::Serving => w,
                Shelf::Lateral(from) => from,
                Shelf::Courier => self.model.depot,
            };
            self.change_shelf(part * self.warehouses + from, -1);
            if counted {
                match offer.source {
                    Shelf::Serving => self.counters[slot].filled += 1,
                    Shelf::Lateral(_) => {
                        self.laterals += 1;
                        self.lateral_cost += offer.cost;
                    }
                    Shelf::Courier => {
                        self.emergencies += 1;
                        self.emergency_cost += offer.cost;
                    }
                }
            }
            self.delivered(stream_index, due, offer.arrival, counted);
            self.demand_at(part, from, 1);
            return;
        }
        // 4. Wait at the serving warehouse.
        self.change_backorders(slot, true);
        self.waiting[slot].push_back(Waiting::Request {
            stream: stream_index as u32,
            deadline: due,
            counted,
        });
        self.demand_at(part, w, 1);
    }

    /// Every offer for a unit of `part` at warehouse `w`'s site that has a
    /// unit on its shelf: the serving shelf, laterals and the courier.
    fn offers(
        &self,
        serving: SimOffer,
        w: usize,
        part: usize,
        site_transit: f64,
    ) -> impl Iterator<Item = SimOffer> + '_ {
        let stocked = move |warehouse: usize| self.on_hand[part * self.warehouses + warehouse] > 0;
        let laterals = self.model.laterals[w]
            .iter()
            .filter(move |lane| stocked(lane.from))
            .map(move |lane| Offer {
                source: Shelf::Lateral(lane.from),
                serving: false,
                arrival: self.now + lane.transit + site_transit,
                cost: lane.cost,
            });
        let depot = self.model.depot;
        let courier = self
            .model
            .emergency
            .filter(|_| w != depot && stocked(depot))
            .map(|e| Offer {
                source: Shelf::Courier,
                serving: false,
                arrival: self.now + e.transit,
                cost: e.cost,
            });
        std::iter::once(serving)
            .filter(move |_| stocked(w))
            .chain(laterals)
            .chain(courier)
    }

    fn repair_done(&mut self, part: usize) {
        let spec = &self.model.parts[part];
        let depot = self.model.depot;
        if spec.beyond_repair_share > 0.0 && self.rng.random::<f64>() < spec.beyond_repair_share {
            let time = self.now + spec.lead_time;
            self.push(time, ARRIVAL, part, depot, 1);
        } else {
            self.arrival(part, depot, 1);
        }
    }

    /// A history part's next period: draw one recorded period's count and
    /// spread that many failures uniformly over the period and over the
    /// part's sites by weight.
    fn history_period(&mut self, part: usize) {
        let Some(history) = &self.model.parts[part].history else {
            return;
        };
        let (streams, cumulative) = &self.prepared.history_streams[part];
        let total = cumulative.last().copied().unwrap_or(0.0);
        let pick = ((self.rng.random::<f64>() * history.counts.len() as f64) as usize)
            .min(history.counts.len() - 1);
        let count = history.counts[pick];
        if total > 0.0 {
            for _ in 0..count {
                let time = self.now + self.rng.random::<f64>() * history.period;
                let u = self.rng.random::<f64>() * total;
                let at = cumulative
                    .partition_point(|&c| c <= u)
                    .min(streams.len() - 1);
                self.push(time, FAILURE, streams[at] as usize, 0, 1);
            }
        }
        let next = self.now + history.period;
        self.push(next, HISTORY_PERIOD, part, 0, 1);
    }

    fn run(mut self, stop: &AtomicBool) -> Option<ReplicationResult> {
        let horizon = self.model.horizon;
        for (part, spec) in self.model.parts.iter().enumerate() {
            if spec.history.is_some() && !self.prepared.history_streams[part].0.is_empty() {
                self.push(0.0, HISTORY_PERIOD, part, 0, 1);
            }
        }
        let rate = self.prepared.total_rate;
        let mut next_failure = if rate > 0.0 {
            exponential(&mut self.rng, rate)
        } else {
            f64::INFINITY
        };
        loop {
            let next_event = self.heap.peek().map_or(f64::INFINITY, |e| e.0.time());
            if next_failure <= next_event {
                if next_failure >= horizon {
                    break;
                }
                self.now = next_failure;
                let prepared = self.prepared;
                if let Some(alias) = &prepared.alias {
                    let stream = prepared.poisson_streams[alias.sample(&mut self.rng)] as usize;
                    self.failure(stream);
                }
                next_failure = self.now + exponential(&mut self.rng, rate);
            } else {
                if next_event >= horizon {
                    break;
                }
                let Some(Reverse(event)) = self.heap.pop() else {
                    break;
                };
                self.now = event.time();
                let index = (event.key() & INDEX_MASK) as usize;
                match event.key() >> KIND_SHIFT {
                    ARRIVAL => {
                        self.arrival(index, usize::from(event.warehouse()), event.quantity())
                    }
                    REPAIR_DONE => self.repair_done(index),
                    HISTORY_PERIOD => self.history_period(index),
                    _ => self.failure(index),
                }
            }
            self.events += 1;
            // A stop request is seen within a few milliseconds, at the cost
            // of one relaxed load per 65,536 events.
            if self.events & STOP_CHECK_MASK == 0 && stop.load(Ordering::Relaxed) {
                return None;
            }
        }
        Some(self.finish())
    }

    fn finish(mut self) -> ReplicationResult {
        self.now = self.model.horizon;
        // Close the time integrals at the horizon.
        for slot in 0..self.backorders.len() {
            let dt = self.measured(self.last_change[slot], self.now);
            let count = self.backorders[slot];
            self.backorder_area[slot] += f64::from(count) * dt;
            if count > 0 {
                self.short_time[slot] += dt;
            }
        }
        self.shelf_area += self.shelf_value * self.measured(self.shelf_last, self.now);
        // Requests still waiting whose deadline lies beyond the horizon have
        // no outcome yet: leave them out. Those already overdue are misses.
        for slot in 0..self.waiting.len() {
            for waiting in &self.waiting[slot] {
                if let Waiting::Request {
                    stream,
                    deadline,
                    counted: true,
                } = *waiting
                    && deadline > self.now
                {
                    let class = self.model.streams[stream as usize].class;
                    self.counters[slot].requests -= 1;
                    self.class_requests[class] -= 1;
                }
            }
        }
        let span = self.model.horizon - self.model.warmup;
        for (slot, counter) in self.counters.iter_mut().enumerate() {
            counter.average_backorders = self.backorder_area[slot] / span;
            counter.short_share = self.short_time[slot] / span;
        }
        ReplicationResult {
            counters: self.counters,
            class_requests: self.class_requests,
            class_on_time: self.class_on_time,
            emergencies: self.emergencies,
            emergency_cost: self.emergency_cost,
            laterals: self.laterals,
            lateral_cost: self.lateral_cost,
            average_shelf_value: self.shelf_area / span,
            events: self.events,
        }
    }
}

/// Runs one replication with its own seed.
/// One replication, or `None` when `stop` was set while it ran.
pub(super) fn replicate(
    model: &SimModel,
    prepared: &Prepared,
    seed: u64,
    stop: &AtomicBool,
) -> Option<ReplicationResult> {
    Engine::new(model, prepared, seed).run(stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_table_draws_in_proportion() {
        let table = AliasTable::new(&[1.0, 3.0, 0.0, 6.0]);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut counts = [0u32; 4];
        for _ in 0..100_000 {
            counts[table.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[2], 0);
        for (i, want) in [(0, 0.1), (1, 0.3), (3, 0.6)] {
            let got = f64::from(counts[i]) / 100_000.0;
            assert!((got - want).abs() < 0.01, "{i}: {got} vs {want}");
        }
    }

    #[test]
    fn events_pop_earliest_first() {
        let mut heap = BinaryHeap::new();
        for (i, t) in [3.0, 1.0, 2.0].into_iter().enumerate() {
            heap.push(Reverse(Event::new(t, i as u32, 7, 1)));
        }
        let order: Vec<f64> = std::iter::from_fn(|| heap.pop().map(|e| e.0.time())).collect();
        assert_eq!(order, vec![1.0, 2.0, 3.0]);
        let e = Event::new(2.5, 0xDEAD, 3, 9);
        assert_eq!(
            (e.time(), e.key(), e.warehouse(), e.quantity()),
            (2.5, 0xDEAD, 3, 9)
        );
        // Time dominates the order, then the key.
        assert!(Event::new(1.0, 9, 0, 0) < Event::new(1.5, 0, 0, 0));
        assert!(Event::new(1.0, 1, 0, 0) < Event::new(1.0, 2, 0, 0));
        assert_eq!(std::mem::size_of::<Event>(), 16);
    }
}
