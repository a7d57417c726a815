-- The follower total of every organic account as each sync read it: the total at the end of
-- `date_day` (the day before the sync ran). Kept forever; the first snapshot of a day stands.
select
    cast(date as date)        as date_day,
    case platform
        when 'facebook_pages' then 'facebook'
        when 'instagram' then 'instagram'
        when 'linkedin_pages' then 'linkedin'
    end                       as network,
    account_id,
    followers,
    taken_at
from {{ source('raw', 'follower_snapshots') }}
