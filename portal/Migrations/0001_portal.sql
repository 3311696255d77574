-- The portal's own state: each user's notifications, and the keys that encrypt the sign-in cookie.

-- One row per notification. A teacher's are addressed to their teacher id; a staff member's to their organisation
-- (everyone on the staff of that school or bureau sees them).
create table notifications (
    id             uuid        primary key,
    recipient_kind text        not null check (recipient_kind in ('teacher', 'staff')),
    recipient_id   uuid        not null,
    kind           text        not null,
    title          text        not null,
    body           text        not null,
    link           text        null,
    created_at     timestamptz not null,
    read_at        timestamptz null
);

create index ix_notifications_recipient on notifications (recipient_kind, recipient_id, created_at desc);
create index ix_notifications_unread on notifications (recipient_kind, recipient_id) where read_at is null;

-- ASP.NET Core Data Protection's key ring: every portal replica, and the next start, decrypt the same cookies.
create table data_protection_keys (
    name       text        primary key,
    xml        text        not null,
    created_at timestamptz not null default now()
);
