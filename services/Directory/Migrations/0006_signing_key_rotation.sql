-- Signing keys rotate: each is made as the next key (published ahead, so every service already knows it when it
-- starts signing), becomes the current one (the only one that signs), then is retired (still published, so tokens
-- it signed keep validating) until expires_at, when it is dropped.
alter table signing_keys
    add column state        text        null check (state in ('next', 'current', 'retired')),
    add column activated_at timestamptz null,
    add column expires_at   timestamptz null;

-- The key that signed until now stays current, counted from today so the first scheduled rotation comes a whole
-- interval after this upgrade (the next key made at start-up must reach every service first); any other unretired
-- key (there was none in practice) is retired and kept published for a day, longer than any token lives.
with newest as (select key_id from signing_keys where retired_at is null order by created_at desc limit 1)
update signing_keys
set state        = case when key_id in (select key_id from newest) then 'current' else 'retired' end,
    activated_at = case when key_id in (select key_id from newest) then now() end,
    retired_at   = case when key_id in (select key_id from newest) then null else coalesce(retired_at, now()) end,
    expires_at   = case when key_id in (select key_id from newest) then null else coalesce(retired_at, now()) + interval '1 day' end;

alter table signing_keys alter column state set not null;

-- At most one current and one next key, whichever replica rotates.
create unique index ux_signing_keys_one_current on signing_keys (state) where state = 'current';
create unique index ux_signing_keys_one_next on signing_keys (state) where state = 'next';
