-- Local copy of Directory's organisation tree (from OrganisationRegistered), so the catalog can tell which
-- schools exist and which have chosen their topics without calling Directory.
create table organisations (
    id          uuid        primary key,
    code        text        not null,
    name        text        not null,
    kind        text        not null,
    parent_id   uuid        null,
    path        text        not null,
    stages      text[]      not null default '{}',
    updated_at  timestamptz not null
);

create index ix_organisations_parent on organisations (parent_id);
create index ix_organisations_path on organisations (path text_pattern_ops);
