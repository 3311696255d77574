-- The organisation tree: province → city → county/district → (township) → school.
create table organisations (
    id          uuid        primary key,
    code        text        not null unique,
    name        text        not null,
    kind        text        not null check (kind in ('province', 'city', 'county', 'township', 'school')),
    parent_id   uuid        null references organisations (id),
    -- Codes from the root down, joined by '/': a district's scope is everything whose path starts with its own.
    path        text        not null unique,
    -- A school's stages; empty above schools.
    stages      text[]      not null default '{}',
    created_at  timestamptz not null default now()
);

create index ix_organisations_parent on organisations (parent_id);
create index ix_organisations_path on organisations (path text_pattern_ops);
