-- Workshops (工作坊): one per elective topic of a program year, opened when the topic is first defined, never closed.
create table workshops (
    id               uuid        primary key,
    topic_id         uuid        not null unique,
    program_year_id  uuid        not null,
    opened_at        timestamptz not null
);

create table workshop_hosts (
    workshop_id  uuid        not null references workshops (id),
    teacher_id   uuid        not null,
    appointed_by text        not null,
    appointed_at timestamptz not null,
    primary key (workshop_id, teacher_id)
);

-- Hosts post guides, briefings, resources, answers and discussion topics; members reply. Attachments are references
-- (file ids or addresses of the resource store), never the files.
create table workshop_posts (
    id           uuid        primary key,
    workshop_id  uuid        not null references workshops (id),
    parent_id    uuid        null references workshop_posts (id),
    kind         text        not null check (kind in ('guide', 'briefing', 'resource', 'answer', 'discussion', 'reply')),
    title        text        null,
    body         text        not null,
    attachments  text[]      not null default '{}',
    author_id    uuid        not null,
    author_name  text        not null,
    created_at   timestamptz not null
);

create index ix_workshop_posts_workshop on workshop_posts (workshop_id, created_at);

-- Master-teacher studios (名师工作室): a named master, members, a level (city or county), activities.
create table studios (
    id                 uuid        primary key,
    name               text        not null,
    master_id          uuid        not null,
    level              text        not null check (level in ('city', 'county')),
    organisation_id    uuid        not null,
    organisation_path  text        not null,
    created_by         text        not null,
    created_at         timestamptz not null
);

create unique index ux_studios_name on studios (organisation_id, name);

create table studio_members (
    studio_id   uuid        not null references studios (id),
    teacher_id  uuid        not null,
    joined_at   timestamptz not null,
    primary key (studio_id, teacher_id)
);

create table studio_activities (
    id           uuid        primary key,
    studio_id    uuid        not null references studios (id),
    title        text        not null,
    held_on      date        not null,
    description  text        not null,
    created_by   text        not null,
    created_at   timestamptz not null
);
