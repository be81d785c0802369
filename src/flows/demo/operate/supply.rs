//! Supply: the weekly replenishment as the suggestions say, the transfers
//! and purchase orders it raises, their receipts, and units that fail
//! incoming inspection going back to the vendor.
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use entities::vendor;
use entities::vocabulary::{Condition, ReturnKind, TransferStatus};
use rand::RngExt;
use sea_orm::{DatabaseTransaction, EntityTrait};

use super::{Event, Operation};
use crate::flows::logistics::purchasing::{
    self, NewPurchaseOrder, NewPurchaseOrderLine, PurchaseReceiveLine, PurchaseReceiveRequest,
};
use crate::flows::logistics::replenishment::{
    self, ReplenishmentSourceKind, ReplenishmentSuggestion,
};
use crate::flows::logistics::returns::{self, ReturnLineRequest, ReturnRequest};
use crate::flows::logistics::transfers::{
    self, CreateRequest, ReceiveLine, ReceiveRequest, TransferLineRequest,
};
use crate::store::error::AppResult;
use crate::store::location::Location;
use crate::store::serials;

/// A transfer on its way: what was shipped of each part.
#[derive(Debug, Clone)]
pub(super) struct Shipped {
    transfer: i64,
    /// (part id, units, serials)
    lines: Vec<(i64, i32, Vec<String>)>,
}

impl Operation<'_> {
    /// Every warehouse, forward locations first: transfers from the parent
    /// where it has stock. Suppliers deliver to warehouses that feed others
    /// (the depot, the regional warehouses), so what a warehouse with a
    /// parent must buy goes onto its parent's purchase order and moves on
    /// by transfer once it has arrived; a later round does not order it
    /// again while it is on its way.
    pub(super) async fn replenish(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        let mut orders: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
        let warehouses: Vec<i64> = self.net.warehouses.iter().rev().map(|w| w.id).collect();
        for warehouse in warehouses {
            let suggested = replenishment::suggestions(tx, warehouse).await?;
            let (moves, buys): (Vec<_>, Vec<_>) = suggested
                .suggestions
                .into_iter()
                .partition(|s| s.source.kind == ReplenishmentSourceKind::Transfer);
            let Some(parent) = suggested.parent_id else {
                let order = orders.entry(warehouse).or_default();
                for s in buys {
                    *order.entry(s.part_id).or_default() += s.quantity;
                }
                continue;
            };
            self.transfer(tx, at, parent, warehouse, moves).await?;
            let order = orders.entry(parent).or_default();
            for s in buys {
                let awaited = self.cross_dock.entry((warehouse, s.part_id)).or_default();
                let more = s.quantity - *awaited;
                if more > 0 {
                    *awaited += more;
                    *order.entry(s.part_id).or_default() += more;
                }
            }
        }
        for (warehouse, quantities) in orders {
            self.buy(tx, at, warehouse, quantities).await?;
        }
        Ok(())
    }

    /// Ships what the parent has of the suggested quantities.
    async fn transfer(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        from: i64,
        to: i64,
        suggested: Vec<ReplenishmentSuggestion>,
    ) -> AppResult<()> {
        let mut lines = Vec::new();
        for s in suggested {
            let available = i64::from(s.source.available.unwrap_or(0));
            let quantity = s.quantity.min(available);
            if quantity <= 0 {
                continue;
            }
            if let Some(awaited) = self.cross_dock.get_mut(&(to, s.part_id)) {
                *awaited = (*awaited - quantity).max(0);
            }
            let quantity = i32::try_from(quantity).unwrap_or(i32::MAX);
            let serials = self.pick_serials(tx, s.part_id, from, quantity).await?;
            lines.push(TransferLineRequest {
                part_id: s.part_id,
                quantity,
                serials,
            });
        }
        if lines.is_empty() {
            return Ok(());
        }
        let created = transfers::create(
            tx,
            self.cast.clerk.id,
            CreateRequest {
                from_warehouse_id: from,
                to_warehouse_id: to,
                reference: format!("REPL-{}", at.format("%G-W%V")),
                note: "weekly replenishment".into(),
                lines: lines.clone(),
            },
            at,
        )
        .await?;
        let carrier = self.carrier(40, 220);
        let shipped = transfers::ship(tx, self.cast.clerk.id, created.id, carrier, at).await?;
        self.tally.transfers += 1;
        let eta = shipped
            .shipment
            .map_or(at + Duration::hours(12), |s| s.estimated_arrival_at);
        let arrives = at + self.stretch(eta - at, 0.8, 1.3);
        let lines = lines
            .into_iter()
            .map(|l| (l.part_id, l.quantity, l.serials))
            .collect();
        self.at(
            arrives,
            Event::TransferArrives(Shipped {
                transfer: created.id,
                lines,
            }),
        );
        Ok(())
    }

    /// `quantity` serials of a serialized part on `warehouse`'s good shelf;
    /// none for any other part.
    async fn pick_serials(
        &mut self,
        tx: &DatabaseTransaction,
        part_id: i64,
        warehouse: i64,
        quantity: i32,
    ) -> AppResult<Vec<String>> {
        if !self.net.part(part_id).is_some_and(|p| p.serialized) {
            return Ok(Vec::new());
        }
        let on_shelf =
            serials::at(tx, part_id, Location::warehouse(warehouse), Condition::Good).await?;
        Ok(on_shelf.into_iter().take(quantity as usize).collect())
    }

    /// The clerk receives a transfer: now and then a unit arrives damaged
    /// or not at all. A fully received transfer is closed.
    pub(super) async fn transfer_arrives(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        shipped: Shipped,
    ) -> AppResult<()> {
        let mut lines = Vec::new();
        for (part_id, quantity, mut serials) in shipped.lines {
            let mut line = ReceiveLine {
                part_id,
                good: quantity,
                damaged: 0,
                short: 0,
                excess: 0,
                good_serials: Vec::new(),
                damaged_serials: Vec::new(),
                short_serials: Vec::new(),
                excess_serials: Vec::new(),
            };
            if self.rng.random_bool(0.03) {
                line.good -= 1;
                line.damaged = 1;
                line.damaged_serials = serials.pop().into_iter().collect();
            } else if self.rng.random_bool(0.015) {
                line.good -= 1;
                line.short = 1;
                line.short_serials = serials.pop().into_iter().collect();
            }
            line.good_serials = serials;
            lines.push(line);
        }
        let received = transfers::receive(
            tx,
            self.cast.clerk.id,
            shipped.transfer,
            ReceiveRequest {
                lines,
                note: String::new(),
            },
            at,
        )
        .await?;
        if received.status == TransferStatus::Received {
            transfers::close(tx, shipped.transfer, at).await?;
        }
        self.dispatch_filled(tx, at).await
    }

    /// The planner orders `quantities` (part id -> units) from the
    /// supplier for `warehouse`.
    async fn buy(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        warehouse: i64,
        quantities: BTreeMap<i64, i64>,
    ) -> AppResult<()> {
        let lines: Vec<NewPurchaseOrderLine> = quantities
            .into_iter()
            .filter_map(|(part_id, quantity)| {
                Some(NewPurchaseOrderLine {
                    part_id,
                    quantity: i32::try_from(quantity).ok()?,
                    unit_price: None,
                })
            })
            .collect();
        if lines.is_empty() {
            return Ok(());
        }
        let lead_time = vendor::Entity::find_by_id(self.net.supplier)
            .one(tx)
            .await?
            .map_or(30, |v| v.lead_time_days);
        let order = purchasing::create(
            tx,
            self.cast.planner.id,
            NewPurchaseOrder {
                vendor_id: self.net.supplier,
                warehouse_id: warehouse,
                reference: format!("REPL-{}", at.format("%G-W%V")),
                expected_at: Some(at + Duration::days(lead_time.into())),
                lines,
            },
            at,
        )
        .await?;
        self.tally.purchase_orders += 1;
        let expected = order.expected_at.unwrap_or(at + Duration::days(30));
        let arrives = if self.rng.random_bool(0.25) {
            expected + Duration::days(self.rng.random_range(4..=30))
        } else {
            expected - Duration::days(self.rng.random_range(0..=5))
        };
        let split = self.rng.random_bool(0.15);
        self.at(
            arrives,
            Event::PurchaseArrives {
                order: order.id,
                split,
            },
        );
        Ok(())
    }

    /// The supplier delivers what is outstanding (half of it when the
    /// order is `split`, the rest one to three weeks later); now and then a
    /// unit fails incoming inspection, is booked to quarantine and goes
    /// back to the vendor.
    pub(super) async fn purchase_arrives(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        id: i64,
        split: bool,
    ) -> AppResult<()> {
        let order = purchasing::get(tx, id).await?;
        let mut good = Vec::new();
        let mut rejected = Vec::new();
        for l in order.lines.iter().filter(|l| l.outstanding_qty > 0) {
            let units = if split {
                (l.outstanding_qty + 1) / 2
            } else {
                l.outstanding_qty
            };
            let failed = i32::from(self.rng.random_bool(0.02)).min(units);
            for (lines, quantity) in [(&mut good, units - failed), (&mut rejected, failed)] {
                if quantity > 0 {
                    lines.push((l.part_id, quantity));
                }
            }
        }
        // A receipt names each part once: the units failing inspection are
        // booked on a receipt of their own.
        let deliveries = [(good, Condition::Good), (rejected, Condition::Quarantined)];
        let mut to_return = Vec::new();
        for (n, (lines, condition)) in deliveries.into_iter().enumerate() {
            if lines.is_empty() {
                continue;
            }
            let lines: Vec<PurchaseReceiveLine> = lines
                .into_iter()
                .map(|(part_id, quantity)| PurchaseReceiveLine {
                    part_id,
                    quantity,
                    condition,
                    serials: self.label(part_id, quantity),
                })
                .collect();
            if condition == Condition::Quarantined {
                to_return = lines
                    .iter()
                    .map(|l| (l.part_id, l.quantity, l.serials.clone()))
                    .collect();
            }
            let request = PurchaseReceiveRequest {
                reference: format!("DN-{id}-{}", order.receipt_document_ids.len() + n + 1),
                lines,
            };
            purchasing::receive(tx, self.cast.clerk.id, id, request, at).await?;
        }
        if split {
            let rest = Duration::days(self.rng.random_range(7..=21));
            self.at(
                at + rest,
                Event::PurchaseArrives {
                    order: id,
                    split: false,
                },
            );
        }
        self.return_to_vendor(tx, at, order.vendor_id, order.warehouse_id, to_return)
            .await?;
        self.dispatch_filled(tx, at).await
    }

    /// New serials for `quantity` units of a serialized part; none for any
    /// other part.
    pub(super) fn label(&mut self, part_id: i64, quantity: i32) -> Vec<String> {
        match self.net.part(part_id) {
            Some(p) if p.serialized => (0..quantity)
                .map(|_| self.serials.fresh(&p.number))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Units that failed incoming inspection go back to their vendor.
    async fn return_to_vendor(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        vendor: i64,
        warehouse: i64,
        rejected: Vec<(i64, i32, Vec<String>)>,
    ) -> AppResult<()> {
        if rejected.is_empty() {
            return Ok(());
        }
        let carrier = self.carrier(30, 90);
        let lines = rejected
            .into_iter()
            .map(|(part_id, quantity, serials)| ReturnLineRequest {
                part_id,
                quantity,
                condition: Condition::Quarantined,
                serials,
            })
            .collect();
        let ret = returns::create(
            tx,
            self.cast.clerk.id,
            ReturnRequest {
                kind: ReturnKind::ReturnToVendor,
                site_id: None,
                vendor_id: Some(vendor),
                warehouse_id: warehouse,
                lines,
                reason: "failed incoming inspection".into(),
                reference: format!("RMA-{}", at.format("%Y%m%d%H%M")),
                carrier: carrier.carrier,
                tracking_ref: carrier.tracking_ref,
                mode: None,
                cost: Some(carrier.cost),
                currency: None,
                estimated_arrival_at: None,
            },
            at,
        )
        .await?;
        returns::ship(tx, self.cast.clerk.id, ret.id, at).await?;
        self.tally.returns_to_vendor += 1;
        let confirmed = Duration::days(self.rng.random_range(5..=15));
        self.at(at + confirmed, Event::VendorConfirmsReturn { ret: ret.id });
        Ok(())
    }

    /// The vendor confirms the returned units arrived.
    pub(super) async fn vendor_confirms(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        ret: i64,
    ) -> AppResult<()> {
        returns::receive(tx, self.cast.clerk.id, ret, at).await?;
        Ok(())
    }
}
