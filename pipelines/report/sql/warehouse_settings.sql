-- What the warehouse was built with: the reporting currency and the revenue behind ROI.
select any_value(reporting_currency) as reporting_currency, any_value(revenue_source) as revenue_source
from marts.roi_by_channel
