-- The organic posts of the period (by their UTC publishing day) that engaged most (marts.posts).
select
    network,
    published_date,
    permalink,
    post_text,
    views,
    lifetime_reach,
    engagements,
    engagement_rate_by_lifetime_reach,
    figures_settling
from marts.posts
where published_date between $start and $end
order by engagements desc, published_at desc, post_id
limit 5
