"""Customer-facing Hungarian wording of the status codes, sent beside the codes.

The admin's labels are written for counter staff ("Javítás"); the bot quotes these to
customers, so they read as a sentence fragment ("Javítás folyamatban").
"""

from __future__ import annotations

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

RENTAL_STATUS_HU: dict[str, str] = {
    Rental.Status.ACTIVE: "Aktív bérlés",
    Rental.Status.LATE: "Lejárt, a gép visszahozatala késésben van",
    Rental.Status.COMPLETED: "Lezárva, a gépet visszahozták",
}

WORKLOG_STATUS_HU: dict[str, str] = {
    Worklog.Status.RECEIVED: "Felvéve, sorra kerülésre vár",
    Worklog.Status.DIAGNOSIS: "Hibafeltárás folyamatban",
    Worklog.Status.QUOTE: "Árajánlat elkészült, jóváhagyásra vár",
    Worklog.Status.REPAIR: "Javítás folyamatban",
    Worklog.Status.DONE: "Elkészült, átvehető",
    Worklog.Status.HANDED_OVER: "Átadva az ügyfélnek",
}

ORDER_STATUS_HU: dict[str, str] = {
    Order.Status.PENDING: "Rögzítve, beszállítói rendelésre vár",
    Order.Status.ORDERED: "Megrendelve a beszállítótól",
    Order.Status.ARRIVED: "Beérkezett, átvehető",
    Order.Status.DELIVERED: "Átadva az ügyfélnek",
}

PAYMENT_STATUS_HU: dict[str, str] = {
    Partner.PaymentStatus.GOOD: "Rendben",
    Partner.PaymentStatus.LATE: "Késedelmes fizetés",
    Partner.PaymentStatus.BLOCKED: "Letiltva",
}


def label(labels: dict[str, str], code: str) -> str:
    return labels.get(code, code)
