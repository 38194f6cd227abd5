"""The closed vocabularies of an agreement (domain/rules.md §a.3), as string enums.

Values are the exact strings that appear in agreement documents and registers.
"""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    routine = "routine"
    one_off = "one_off"
    emergency = "emergency"


class Status(StrEnum):
    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    active = "active"
    suspended = "suspended"
    expired = "expired"
    terminated = "terminated"
    superseded = "superseded"


class Relationship(StrEnum):
    separate_controllers = "separate_controllers"
    joint_controllers = "joint_controllers"
    controller_processor = "controller_processor"


class OrgType(StrEnum):
    central_department = "central_department"
    executive_agency = "executive_agency"
    alb = "alb"
    nhs_england = "nhs_england"
    ukhsa = "ukhsa"
    nhs_trust = "nhs_trust"
    nhs_foundation_trust = "nhs_foundation_trust"
    icb = "icb"
    gp_practice = "gp_practice"
    la_county = "la_county"
    la_district = "la_district"
    la_unitary = "la_unitary"
    la_metropolitan = "la_metropolitan"
    la_london_borough = "la_london_borough"
    police = "police"
    fire_rescue = "fire_rescue"
    ambulance = "ambulance"
    utility = "utility"
    vcs = "vcs"
    processor_commercial = "processor_commercial"


PUBLIC_AUTHORITY_TYPES = frozenset(
    t for t in OrgType if t not in {OrgType.utility, OrgType.vcs, OrgType.processor_commercial}
)
HEALTH_AND_CARE_TYPES = frozenset(
    {
        OrgType.nhs_england,
        OrgType.ukhsa,
        OrgType.nhs_trust,
        OrgType.nhs_foundation_trust,
        OrgType.icb,
        OrgType.gp_practice,
        OrgType.ambulance,
    }
)
LOCAL_AUTHORITY_TYPES = frozenset(
    {
        OrgType.la_county,
        OrgType.la_district,
        OrgType.la_unitary,
        OrgType.la_metropolitan,
        OrgType.la_london_borough,
    }
)


class PartyRole(StrEnum):
    discloser = "discloser"
    recipient = "recipient"
    both = "both"
    processor = "processor"


class CcaCategory(StrEnum):
    cat1 = "cat1"
    cat2 = "cat2"
    none = "none"


class DsptStatus(StrEnum):
    """A status the Data Security and Protection Toolkit publishes (what each means, its rank and
    sources: ``accord/law/data/dspt.yaml``). The values are stored in signed agreements, so an
    existing value is never renamed."""

    standards_exceeded = "standards_exceeded"
    standards_met = "standards_met"
    # Rests on an improvement plan: "Approaching Standards" (from 5 March 2021, usable once).
    approaching_standards = "approaching_standards"
    # Rests on an improvement plan: "Standards Not Fully Met (Plan Agreed)", the status NHS
    # England gives a "Standards Not Met" publication whose improvement plan it has approved.
    plan_agreed = "plan_agreed"
    not_met = "not_met"  # "Standards Not Met"
    not_published = "not_published"


# The statuses that rest on an improvement plan, which ends on a day (and then lapses).
DSPT_PLANNED = frozenset({DsptStatus.approaching_standards, DsptStatus.plan_agreed})


class Certification(StrEnum):
    iso27001 = "iso27001"
    cyber_essentials = "cyber_essentials"
    cyber_essentials_plus = "cyber_essentials_plus"


class PurposeCategory(StrEnum):
    individual_care = "individual_care"
    public_health_surveillance = "public_health_surveillance"
    emergency_response = "emergency_response"
    safeguarding = "safeguarding"
    service_delivery = "service_delivery"
    planning_commissioning = "planning_commissioning"
    research = "research"
    official_statistics = "official_statistics"
    fraud = "fraud"
    debt = "debt"
    # UK GDPR Annex 1 paras 2 and 5, Annex 2 paras 3, 6 and taxation (DUAA 2025 Schs 4-5).
    crime = "crime"
    national_security = "national_security"
    public_security = "public_security"
    defence = "defence"
    taxation = "taxation"


class Classification(StrEnum):
    direct_identifier = "direct_identifier"
    quasi_identifier = "quasi_identifier"
    special_category_health = "special_category_health"
    special_category_other = "special_category_other"
    criminal_offence = "criminal_offence"
    other_personal = "other_personal"
    non_personal = "non_personal"


class Standard(StrEnum):
    NHS_NUMBER = "NHS_NUMBER"
    ODS_CODE = "ODS_CODE"
    GSS_CODE = "GSS_CODE"
    POSTCODE = "POSTCODE"
    UPRN = "UPRN"
    DATE_ISO8601 = "DATE_ISO8601"
    SNOMED_CT = "SNOMED_CT"
    PHONE = "PHONE"
    FREE_TEXT = "FREE_TEXT"


class ItemTransform(StrEnum):
    none = "none"
    pseudonymise = "pseudonymise"
    generalise = "generalise"
    derive = "derive"
    drop = "drop"


class Identifiability(StrEnum):
    identifiable = "identifiable"
    pseudonymised = "pseudonymised"
    anonymised_ico_compliant = "anonymised_ico_compliant"
    aggregate = "aggregate"


class Frequency(StrEnum):
    one_off = "one_off"
    real_time = "real_time"
    hourly = "hourly"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    on_request = "on_request"


class AccessMethod(StrEnum):
    one_off = "one_off"
    ongoing = "ongoing"
    system_access = "system_access"


class TransferMethod(StrEnum):
    mesh = "mesh"
    sftp = "sftp"
    api = "api"
    sde_access = "sde_access"
    secure_email = "secure_email"


class PushMethod(StrEnum):
    """How accord sends a delivery to its recipient after a run, besides the pull over HTTP.

    ``mesh``: to the recipient party's MESH mailbox (NHS England's message exchange), under the
    flow's MESH workflow id. ``outbox``: into a folder per recipient under the workspace's
    ``outbox/``, for bodies that collect by SFTP or from a shared drive.
    """

    mesh = "mesh"
    outbox = "outbox"


class OnwardSharing(StrEnum):
    prohibited = "prohibited"
    permitted_to_listed = "permitted_to_listed"
    permitted_processors_only = "permitted_processors_only"


class Location(StrEnum):
    uk_only = "uk_only"
    uk_and_adequacy = "uk_and_adequacy"


class DeliveryFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


class DisclosureProfile(StrEnum):
    none = "none"
    nhs_secondary_care = "nhs_secondary_care"
    opensafely = "opensafely"
    opensafely_midpoint6 = "opensafely_midpoint6"
    ons_srs_10 = "ons_srs_10"
    uk_llc = "uk_llc"
    acro = "acro"
    custom = "custom"


class Art6Basis(StrEnum):
    a = "a"
    b = "b"
    c = "c"
    d = "d"
    e = "e"
    ea = "ea"
    f = "f"


class Art9Condition(StrEnum):
    a = "a"
    b = "b"
    c = "c"
    d = "d"
    e = "e"
    f = "f"
    g = "g"
    h = "h"
    i = "i"
    j = "j"


class ConfidentialityBasis(StrEnum):
    consent_implied_individual_care = "consent_implied_individual_care"
    consent_explicit = "consent_explicit"
    s251_support = "s251_support"
    copi_reg2 = "copi_reg2"
    copi_reg3 = "copi_reg3"
    legal_requirement = "legal_requirement"
    overriding_public_interest = "overriding_public_interest"
    not_confidential = "not_confidential"
    hsca_s261 = "hsca_s261"
    s251b_duty = "s251b_duty"


class SecurityClassification(StrEnum):
    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"


class DpiaStatus(StrEnum):
    not_required_screened = "not_required_screened"
    screening_only_emergency = "screening_only_emergency"
    in_progress = "in_progress"
    complete = "complete"


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class ApprovalRole(StrEnum):
    siro = "siro"
    caldicott_guardian = "caldicott_guardian"
    dpo = "dpo"
    legal = "legal"
    iao = "iao"
    accountable_officer = "accountable_officer"
    emergency_commander = "emergency_commander"


class Decision(StrEnum):
    approve = "approve"
    approve_with_conditions = "approve_with_conditions"
    reject = "reject"
    abstain_advisory = "abstain_advisory"


class KeyScope(StrEnum):
    recipient = "recipient"
    agreement = "agreement"
    global_ = "global"


class AgeBand(StrEnum):
    age_band_5y = "age_band_5y"
    age_band_10y = "age_band_10y"


class PostcodeLevel(StrEnum):
    lsoa = "lsoa"
    district = "district"
    upper_tier = "upper_tier"
