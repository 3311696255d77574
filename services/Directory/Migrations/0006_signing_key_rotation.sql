-- Signing keys rotate: each is made as the next key (published ahead, so every service already knows it when it
-- starts signing), becomes the current one (the only one that signs), then is retired (still published, so tokens
-- it signed keep validating) until expires_at, when it is dropped.
alter table signing_keys
    add column state        text        null check (state in ('next', 'current', 'retired')),
    add column activated_at timestamptz null,
    add column expires_at   timestamptz null;

-- The key that signed until now stays current; any other unretired one (there was none in practice) is retired.
update signing_keys
set state = case when key_id = (select key_id from signing_keys where retired_at is null order by created_at desc limit 1)
                 then 'current' else 'retired' end,
    activated_at = created_at,
    retired_at = coalesce(retired_at, now());
update signing_keys set retired_at = null where state = 'current';
update signing_keys set expires_at = retired_at + interval '1 day' where state = 'retired';

alter table signing_keys alter column state set not null;

-- At most one current and one next key, whichever replica rotates.
create unique index ux_signing_keys_one_current on signing_keys (state) where state = 'current';
create unique index ux_signing_keys_one_next on signing_keys (state) where state = 'next';
