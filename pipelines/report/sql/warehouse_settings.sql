-- What the warehouse was built with: the reporting currency, the revenue behind ROI, and whether
-- that revenue includes VAT (NULL in a warehouse built before the setting existed).
select
    any_value(reporting_currency) as reporting_currency,
    any_value(revenue_source)     as revenue_source,
    any_value(revenue_vat)        as revenue_vat
from marts.roi_by_channel
