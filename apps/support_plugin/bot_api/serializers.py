"""The API's wire shapes. Response serializers double as the OpenAPI schema.

What a customer record may expose is decided here and nowhere else: never tax numbers,
balances or ID documents; payment standing only as good / late / blocked.
"""

from __future__ import annotations

from django.core.validators import EmailValidator, RegexValidator
from rest_framework import serializers

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

from .opening_hours import OPENING_HOURS_HU


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stabil, gépi hibakód (pl. not_found, throttled).")
    detail = serializers.CharField(help_text="Magyar nyelvű hibaüzenet.")


class ValidationErrorSerializer(ErrorSerializer):
    # assignment: the serializer metaclass moves declared fields out of the class, so this
    # (documentation-only) field does not shadow `Serializer.errors` at run time.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Mezőnkénti hibaüzenetek.",
    )


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(help_text="E.164 formátum, pl. +36301234567.")
    email = serializers.CharField(allow_blank=True)
    company = serializers.CharField(allow_blank=True)
    is_business = serializers.BooleanField()
    active_rentals = serializers.IntegerField(
        help_text="Aktív és lejárt, vissza nem hozott bérlések."
    )
    pending_repairs = serializers.IntegerField(help_text="Még át nem adott munkalapok.")
    payment_status = serializers.ChoiceField(choices=Partner.PaymentStatus.choices)
    payment_status_hu = serializers.CharField()


class DuplicateQuerySerializer(serializers.Serializer):
    name = serializers.CharField(required=False, min_length=3, max_length=200, trim_whitespace=True)
    phone = serializers.CharField(required=False, max_length=40)
    email = serializers.CharField(required=False, max_length=254, validators=[EmailValidator()])

    def validate(self, attrs: dict[str, str]) -> dict[str, str]:
        if not any(attrs.get(field) for field in ("name", "phone", "email")):
            raise serializers.ValidationError(
                "Adjon meg legalább egyet: name, phone vagy email."
            )
        return attrs


class DuplicateCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    company = serializers.CharField(allow_blank=True)
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["phone", "email", "name"]),
        help_text="Miért valószínű duplikátum: azonos telefonszám, e-mail, hasonló név.",
    )
    name_similarity = serializers.FloatField(help_text="0–1, ékezetek nélkül összevetve.")


class DuplicatesResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    candidates = DuplicateCandidateSerializer(many=True)


class RentalStatusSerializer(serializers.Serializer):
    number = serializers.CharField()
    customer_id = serializers.IntegerField()
    machine = serializers.CharField()
    machine_type = serializers.CharField()
    start_date = serializers.DateField()
    due_date = serializers.DateField()
    returned_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=Rental.Status.choices)
    status_hu = serializers.CharField()
    late_days = serializers.IntegerField(min_value=0)


class WorklogStatusSerializer(serializers.Serializer):
    number = serializers.CharField()
    customer_id = serializers.IntegerField()
    machine = serializers.CharField()
    status = serializers.ChoiceField(choices=Worklog.Status.choices)
    status_hu = serializers.CharField()
    estimated_completion = serializers.DateField(allow_null=True)
    quote_amount = serializers.IntegerField(allow_null=True, help_text="Forint.")
    quote_accepted = serializers.BooleanField(allow_null=True)
    technician_notes = serializers.CharField(allow_blank=True)
    can_pickup = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)


class OrderItemSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()


class OrderStatusSerializer(serializers.Serializer):
    number = serializers.CharField()
    customer_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    status_hu = serializers.CharField()
    order_date = serializers.DateField()
    estimated_arrival = serializers.DateField(allow_null=True)
    arrived_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    total_amount = serializers.IntegerField(help_text="Forint.")
    items = OrderItemSerializer(many=True)


class OrderArrivalSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Order.Status.choices)
    status_hu = serializers.CharField()
    estimated_arrival = serializers.DateField(allow_null=True)
    arrived = serializers.BooleanField()
    arrived_at = serializers.DateTimeField(allow_null=True)
    message_hu = serializers.CharField(help_text="Ügyfélnek szóló mondat a várható érkezésről.")


# DRF refuses NUL characters in every CharField; this states it in the schema as well.
NO_NUL = RegexValidator(r"^[^\x00]*$", "Null karakter nem megengedett.")


class InventoryQuerySerializer(serializers.Serializer):
    # Not trimmed here: the view trims, so " MAK-1 " is a lookup, not a validation error.
    sku = serializers.CharField(max_length=50, trim_whitespace=False, validators=[NO_NUL])
    location = serializers.CharField(required=False, max_length=100, trim_whitespace=False,
                                     validators=[NO_NUL])


class StockLocationSerializer(serializers.Serializer):
    location = serializers.CharField()
    quantity = serializers.IntegerField()
    in_stock = serializers.BooleanField()


class InventoryResponseSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    location = serializers.CharField(allow_null=True, help_text="A kért raktárhely, ha volt.")
    in_stock = serializers.BooleanField()
    total_quantity = serializers.IntegerField()
    locations = StockLocationSerializer(many=True)


class AppointmentBookingSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    starts_at = serializers.DateTimeField(
        help_text=(
            "A foglalás kezdete (ISO 8601). Egész vagy fél óra, nyitvatartási időben: "
            f"{OPENING_HOURS_HU}."
        )
    )
    worklog_number = serializers.CharField(required=False, max_length=20, allow_blank=True)
    note = serializers.CharField(required=False, max_length=500, allow_blank=True)


class AppointmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    worklog_number = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
