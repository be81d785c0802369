//! The field: failures, replacement requests and their lifecycle.
use chrono::{DateTime, Duration, Utc};
use entities::replacement_request;
use entities::vocabulary::{Priority, RequestStatus};
use rand::RngExt;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::{Event, Followed, Operation};
use crate::flows::logistics::shipments::DeliverRequest;
use crate::flows::replacement::{
    self, AnnounceReturn, DispatchRequest, NewReplacementRequest, ReplacementRequest,
};
use crate::store::error::AppResult;

/// What an engineer asks for: units of a part (index) at a site (index).
pub(super) struct Wanted<'a> {
    pub part: usize,
    pub site: usize,
    pub quantity: i32,
    pub priority: Priority,
    pub note: &'a str,
    pub failed_serial: Option<String>,
}

impl Operation<'_> {
    /// A unit fails: the engineer asks for a replacement, naming the failed
    /// unit's serial for a serialized part.
    pub(super) async fn failure(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        part: usize,
        site: usize,
    ) -> AppResult<()> {
        let failed_serial = if self.net.parts[part].serialized {
            match self.failing_unit(part, site) {
                Some(serial) => Some(serial),
                // Every unit there is already failed and being replaced.
                None => return Ok(()),
            }
        } else {
            None
        };
        let priority = if self.rng.random_bool(0.15) {
            Priority::High
        } else {
            Priority::Normal
        };
        let wanted = Wanted {
            part,
            site,
            quantity: 1,
            priority,
            note: "",
            failed_serial,
        };
        let request = self.raise(tx, at, wanted).await?;
        if request.status == RequestStatus::Sourced {
            let pick = self.pick_time();
            self.at(
                at + pick,
                Event::Dispatch {
                    request: request.id,
                },
            );
        } else {
            self.tally.backordered += 1;
            self.backlog.insert(request.id, ());
        }
        Ok(())
    }

    /// The engineer's request for `wanted`, followed from now on.
    pub(super) async fn raise(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        wanted: Wanted<'_>,
    ) -> AppResult<ReplacementRequest> {
        self.tickets += 1;
        let request = replacement::create(
            tx,
            self.engineer(),
            NewReplacementRequest {
                ticket_ref: format!("INC-{:06}", 104_000 + self.tickets),
                site_id: self.net.sites[wanted.site].id,
                part_id: Some(self.net.parts[wanted.part].id),
                quantity: wanted.quantity,
                priority: wanted.priority,
                note: wanted.note.into(),
                failed_serial: wanted.failed_serial.clone(),
            },
            at,
        )
        .await?;
        self.tally.requests += 1;
        self.requests.insert(
            request.id,
            Followed {
                part: wanted.part,
                site: wanted.site,
                failed_serial: wanted.failed_serial,
                sent_serial: None,
            },
        );
        Ok(request)
    }

    /// The serial of a unit installed at the site that is not already
    /// being replaced; units installed before tracking get their label's
    /// serial the first time they are looked at.
    fn failing_unit(&mut self, part: usize, site: usize) -> Option<String> {
        let p = &self.net.parts[part];
        let units = p.installed.iter().find(|i| i.0 == site).map_or(0, |i| i.1);
        let site_code = &self.net.sites[site].code;
        let slots = self
            .serials
            .installed
            .entry((part, site))
            .or_insert_with(|| {
                (1..=units)
                    .map(|k| format!("{}-{site_code}-U{k:02}", p.number))
                    .collect()
            });
        let free: Vec<&String> = slots
            .iter()
            .filter(|s| !self.serials.failing.contains(*s))
            .collect();
        if free.is_empty() {
            return None;
        }
        let chosen = free[self.rng.random_range(0..free.len())].clone();
        self.serials.failing.insert(chosen.clone());
        Some(chosen)
    }

    /// How long picking and packing takes: mostly within the hour, now and
    /// then much longer (the unit was hard to find, the shift ended).
    fn pick_time(&mut self) -> Duration {
        if self.rng.random_bool(0.06) {
            Duration::minutes(self.rng.random_range(180..=1200))
        } else {
            Duration::minutes(self.rng.random_range(10..=75))
        }
    }

    /// The clerk ships the reserved unit (for a serialized part, the unit
    /// the request shows as set aside for it).
    pub(super) async fn dispatch(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        id: i64,
    ) -> AppResult<()> {
        let request = replacement::get(tx, self.clerk_viewer(), id).await?;
        if request.source_warehouse_id.is_none() {
            return Ok(());
        }
        let carrier = self.carrier(25, 180);
        let sent = replacement::dispatch(
            tx,
            self.clerk_viewer(),
            id,
            DispatchRequest {
                carrier: carrier.carrier,
                tracking_ref: carrier.tracking_ref,
                mode: None,
                cost: carrier.cost,
                currency: None,
                estimated_arrival_at: None,
                serials: Vec::new(),
            },
            at,
        )
        .await?;
        if let Some(f) = self.requests.get_mut(&id) {
            f.sent_serial = sent.serials.first().cloned();
        }
        // Couriers mostly make the arrival promised at sourcing (unless the
        // pick took too long); now and then one is hours late.
        let transit = sent.eta.map_or(Duration::hours(4), |eta| eta - at);
        let promised = request.promised_eta.unwrap_or(at + transit);
        let arrives = if self.rng.random_bool(0.1) {
            promised + Duration::minutes(self.rng.random_range(30..=480))
        } else {
            promised - Duration::minutes(self.rng.random_range(0..=60))
        };
        let arrives = arrives.max(at + transit / 2);
        self.at(arrives, Event::Deliver { request: id });
        Ok(())
    }

    /// The carrier hands the unit over at the site; the defective unit of
    /// a repairable part is sent back over the next days.
    pub(super) async fn deliver(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        id: i64,
    ) -> AppResult<()> {
        let delivered = replacement::deliver(
            tx,
            self.engineer(),
            id,
            DeliverRequest {
                receiver: "site engineer".into(),
                note: String::new(),
                delivered_at: None,
            },
            at,
        )
        .await?;
        self.swap_installed_unit(id);
        if delivered.return_expected {
            if self.rng.random_bool(0.4) {
                let later = Duration::minutes(self.rng.random_range(30..=240));
                self.at(at + later, Event::AnnounceReturn { request: id });
            }
            let back = Duration::hours(self.rng.random_range(24..=144));
            self.at(at + back, Event::ReturnArrives { request: id });
        } else {
            let later = Duration::minutes(self.rng.random_range(20..=600));
            self.at(at + later, Event::Close { request: id });
        }
        Ok(())
    }

    /// The delivered unit takes the failed unit's place at the site.
    fn swap_installed_unit(&mut self, id: i64) {
        let Some(f) = self.requests.get(&id).cloned() else {
            return;
        };
        let (Some(failed), Some(sent)) = (f.failed_serial, f.sent_serial) else {
            return;
        };
        if let Some(slots) = self.serials.installed.get_mut(&(f.part, f.site)) {
            for slot in slots.iter_mut().filter(|s| **s == failed) {
                *slot = sent.clone();
            }
        }
        self.serials.failing.remove(&failed);
    }

    /// The engineer books the defective unit's return shipment.
    pub(super) async fn announce_return(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        id: i64,
    ) -> AppResult<()> {
        let carrier = self.carrier(15, 60);
        replacement::announce_return(
            tx,
            self.engineer(),
            id,
            AnnounceReturn {
                carrier: carrier.carrier,
                tracking_ref: carrier.tracking_ref,
                note: String::new(),
                serials: Vec::new(),
            },
            at,
        )
        .await?;
        Ok(())
    }

    /// The defective unit reaches the serving warehouse; the request is
    /// closed soon after.
    pub(super) async fn return_arrives(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        id: i64,
    ) -> AppResult<()> {
        replacement::receive_return(tx, self.clerk_viewer(), id, at).await?;
        let later = Duration::minutes(self.rng.random_range(5..=240));
        self.at(at + later, Event::Close { request: id });
        Ok(())
    }

    pub(super) async fn close(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
        id: i64,
    ) -> AppResult<()> {
        replacement::close(tx, self.engineer(), id, at).await?;
        self.requests.remove(&id);
        Ok(())
    }

    /// Backordered requests that allocation filled since: dispatched next.
    pub(super) async fn dispatch_filled(
        &mut self,
        tx: &DatabaseTransaction,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        if self.backlog.is_empty() {
            return Ok(());
        }
        let filled: Vec<i64> = replacement_request::Entity::find()
            .filter(replacement_request::Column::Id.is_in(self.backlog.keys().copied()))
            .filter(replacement_request::Column::Status.eq(RequestStatus::Sourced))
            .all(tx)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        for id in filled {
            self.backlog.remove(&id);
            let pick = self.pick_time();
            self.at(at + pick, Event::Dispatch { request: id });
        }
        Ok(())
    }
}
