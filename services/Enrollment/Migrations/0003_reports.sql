-- The organisation tree as Directory announces it (OrganisationRegistered / OrganisationChanged), so reports take an
-- organisation code ("under=371602") and show names. Every message is a full snapshot; the newest wins.
create table organisations (
    id          uuid        primary key,
    code        text        not null,
    name        text        not null,
    kind        text        not null,
    path        text        not null,
    updated_at  timestamptz not null
);

create index ix_organisations_code on organisations (code);
create index ix_organisations_path on organisations (path);
