-- What the test consumer does: one row per handled message, so "exactly once" is a count.
create table test_effects (
    id          bigint generated always as identity primary key,
    message_id  uuid   not null,
    run_id      uuid   not null,
    sequence    int    not null
);
create index ix_test_effects_run on test_effects (run_id);

-- The data a poison test message lacks: once its row is here, the message is no longer poison (a fix by data).
create table test_cures (
    run_id   uuid not null,
    sequence int  not null,
    primary key (run_id, sequence)
);
