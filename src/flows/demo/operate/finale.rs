//! What a newcomer finds in flight at "now", beyond what the history left
//! open by itself: a request at risk of missing its SLA, a backordered
//! request, a transfer on the road, a count half done and a finished plan.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::vocabulary::{Condition, Priority, TransferStatus};
use entities::{stock_balance, transfer};
use rand::RngExt;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::field::Wanted;
use super::{Operation, balances};
use crate::flows::logistics::transfers::{self, CreateRequest, TransferLineRequest};
use crate::flows::stock::stocktake::{self, CountLine, CountRequest, OpenRequest};
use crate::store::db;
use crate::store::error::AppResult;

impl Operation<'_> {
    /// The last two hours before `now` (the history stops there), with
    /// each of the finale's pieces; then a plan of the network as it stands.
    pub async fn finale(&mut self, now: DateTime<Utc>) -> AppResult<()> {
        let tx = db::begin_write(self.db).await?;
        self.transfer_on_the_road(&tx, now - Duration::minutes(110))
            .await?;
        self.count_half_done(&tx, now - Duration::minutes(60))
            .await?;
        let free = free_stock(&tx).await?;
        self.request_at_risk(&tx, now - Duration::minutes(25), &free)
            .await?;
        self.request_backordered(&tx, now - Duration::minutes(15), &free)
            .await?;
        tx.commit().await?;
        self.plan(now).await?;
        Ok(())
    }

    /// A 4-hour site needs a part nobody in its region has: the nearest
    /// stock is too far for the deadline, so the request is at risk.
    async fn request_at_risk(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        free: &HashMap<(i64, i64), i64>,
    ) -> AppResult<()> {
        let in_region = |part: i64, region: &str| -> i64 {
            self.net
                .warehouses
                .iter()
                .filter(|w| w.region == region)
                .map(|w| free.get(&(w.id, part)).copied().unwrap_or(0))
                .sum()
        };
        let anywhere = |part: i64| -> i64 {
            self.net
                .warehouses
                .iter()
                .map(|w| free.get(&(w.id, part)).copied().unwrap_or(0))
                .sum()
        };
        let candidate = self.net.parts.iter().enumerate().find_map(|(p, part)| {
            if part.serialized || anywhere(part.id) == 0 {
                return None;
            }
            part.installed.iter().find_map(|&(s, _)| {
                let site = &self.net.sites[s];
                (site.four_hour && in_region(part.id, site.region) == 0).then_some((p, s))
            })
        });
        if let Some((part, site)) = candidate {
            self.raise(
                tx,
                at,
                critical(part, site, 1, "site down, customer escalated"),
            )
            .await?;
        }
        Ok(())
    }

    /// A part in demand with less stock in the whole network than a storm
    /// just broke at one site: backordered until supply arrives.
    async fn request_backordered(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        free: &HashMap<(i64, i64), i64>,
    ) -> AppResult<()> {
        let total = |part: i64| -> i64 {
            free.iter()
                .filter(|((_, p), _)| *p == part)
                .map(|(_, n)| *n)
                .sum()
        };
        let scarcest = self
            .net
            .parts
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.serialized && !p.installed.is_empty())
            .min_by_key(|(_, p)| total(p.id));
        if let Some((part, p)) = scarcest {
            let wanted = i32::try_from(total(p.id) + 1).unwrap_or(i32::MAX);
            let site = p.installed[0].0;
            self.raise(
                tx,
                at,
                critical(part, site, wanted, "storm damage, several units"),
            )
            .await?;
        }
        Ok(())
    }

    /// A transfer from the depot to a regional warehouse, shipped and not
    /// yet there, unless the history already left one on the road.
    async fn transfer_on_the_road(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        let on_the_road = transfer::Entity::find()
            .filter(transfer::Column::Status.eq(TransferStatus::Shipped))
            .count(tx)
            .await?;
        if on_the_road > 0 {
            return Ok(());
        }
        let depot = self.net.depot();
        let stock = balances(tx, depot, Condition::Good).await?;
        let Some(&(part_id, on_hand, reserved)) = stock
            .iter()
            .find(|(p, h, r)| h - r > 0 && self.net.part(*p).is_some_and(|p| !p.serialized))
        else {
            return Ok(());
        };
        let to = self.net.warehouses[1].id;
        let created = transfers::create(
            tx,
            self.cast.clerk.id,
            CreateRequest {
                from_warehouse_id: depot,
                to_warehouse_id: to,
                reference: format!("REPL-{}", at.format("%G-W%V")),
                note: "top-up ahead of the weekend".into(),
                lines: vec![TransferLineRequest {
                    part_id,
                    quantity: (on_hand - reserved).min(2),
                    serials: Vec::new(),
                }],
            },
            at,
        )
        .await?;
        let carrier = self.carrier(40, 220);
        transfers::ship(tx, self.cast.clerk.id, created.id, carrier, at).await?;
        self.tally.transfers += 1;
        Ok(())
    }

    /// A forward location's cycle count, opened and half counted.
    async fn count_half_done(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        for w in self.net.warehouses.iter().skip(4) {
            let parts: Vec<i64> = balances(tx, w.id, Condition::Good)
                .await?
                .into_iter()
                .map(|b| b.0)
                .filter(|p| self.net.part(*p).is_some_and(|p| !p.serialized))
                .collect();
            if parts.len() < 2 {
                continue;
            }
            let opened = stocktake::open(
                tx,
                self.cast.clerk.id,
                OpenRequest {
                    warehouse_id: w.id,
                    part_ids: Some(parts),
                    note: format!("cycle count {}", at.format("%B %Y")),
                },
                at,
            )
            .await?;
            let half = opened.lines.len() / 2;
            let lines = opened
                .lines
                .iter()
                .take(half)
                .map(|l| CountLine {
                    part_id: l.part_id,
                    condition: l.condition,
                    counted_qty: l.snapshot_qty + i32::from(self.rng.random_bool(0.05)),
                    serials: Vec::new(),
                })
                .collect();
            let counted_at = at + Duration::minutes(20);
            stocktake::count(
                tx,
                self.cast.clerk.id,
                opened.id,
                CountRequest { lines },
                counted_at,
            )
            .await?;
            self.tally.stocktakes += 1;
            return Ok(());
        }
        Ok(())
    }
}

/// A critical request for `quantity` units of an unserialized part.
fn critical(part: usize, site: usize, quantity: i32, note: &str) -> Wanted<'_> {
    Wanted {
        part,
        site,
        quantity,
        priority: Priority::Critical,
        note,
        failed_serial: None,
    }
}

/// Good units free to take (on hand minus reserved), by (warehouse, part).
async fn free_stock(tx: &DatabaseTransaction) -> AppResult<HashMap<(i64, i64), i64>> {
    Ok(stock_balance::Entity::find()
        .filter(stock_balance::Column::Condition.eq(Condition::Good))
        .order_by_asc(stock_balance::Column::Id)
        .all(tx)
        .await?
        .into_iter()
        .map(|b| {
            (
                (b.warehouse_id, b.part_id),
                i64::from(b.on_hand - b.reserved),
            )
        })
        .collect())
}
