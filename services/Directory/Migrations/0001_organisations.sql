-- The organisation tree: province → city → county/district → (township) → school.
create table organisations (
    id          uuid        primary key,
    code        text        not null unique,
    name        text        not null,
    kind        text        not null check (kind in ('province', 'city', 'county', 'township', 'school')),
    parent_id   uuid        null references organisations (id),
    -- A school's stages; empty above schools.
    stages      text[]      not null default '{}',
    created_at  timestamptz not null default now()
);

create index ix_organisations_parent on organisations (parent_id);
