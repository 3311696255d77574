-- Teachers, unique by national ID across the province. A transfer changes school_id and is kept in
-- teacher_transfers; everything else about the teacher (and their history elsewhere) stays with the same id.
create table teachers (
    id                      uuid        primary key,
    national_id             text        not null unique,
    name                    text        not null,
    birth_date              date        not null,
    sex                     text        not null check (sex in ('male', 'female')),
    school_id               uuid        not null references organisations (id),
    stage                   text        not null,
    subject                 text        not null,
    hire_date               date        not null,
    normal_school_graduate  boolean     not null,
    class_teacher           boolean     not null,
    title                   text        null,
    tier                    text        not null,
    in_post                 boolean     not null default true,
    version                 int         not null default 1,
    created_at              timestamptz not null default now(),
    updated_at              timestamptz not null default now()
);

create index ix_teachers_school on teachers (school_id);

create table teacher_transfers (
    id              bigint generated always as identity primary key,
    teacher_id      uuid        not null references teachers (id),
    from_school_id  uuid        not null references organisations (id),
    to_school_id    uuid        not null references organisations (id),
    transferred_at  timestamptz not null,
    transferred_by  uuid        null
);

create index ix_teacher_transfers_teacher on teacher_transfers (teacher_id);
