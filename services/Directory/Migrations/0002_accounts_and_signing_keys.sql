-- The keys that sign the platform's tokens. Generated on first start; the database is where the private key
-- lives (never the repository). Retired keys stay published until the tokens they signed have expired.
create table signing_keys (
    key_id       text        primary key,
    private_key  text        not null,
    created_at   timestamptz not null default now(),
    retired_at   timestamptz null
);

-- Who can sign in: teachers (login = national ID number) and staff, each with one role and one organisation
-- that bounds what they see.
create table accounts (
    id                    uuid        primary key,
    login                 text        not null unique,
    display_name          text        not null,
    role                  text        not null check (role in ('platform_operator', 'district_admin', 'school_admin', 'teacher', 'guide_teacher')),
    organisation_id       uuid        null references organisations (id),
    teacher_id            uuid        null,
    password_hash         text        not null,
    must_change_password  boolean     not null default true,
    failed_sign_ins       int         not null default 0,
    locked_until          timestamptz null,
    last_sign_in_at       timestamptz null,
    password_changed_at   timestamptz null,
    created_at            timestamptz not null default now()
);

create index ix_accounts_organisation on accounts (organisation_id);
