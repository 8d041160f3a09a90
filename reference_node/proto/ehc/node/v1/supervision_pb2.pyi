from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KpiRequest(_message.Message):
    __slots__ = ("start_date", "end_date", "time_zone", "area_code", "org_code")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    time_zone: str
    area_code: str
    org_code: str
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., time_zone: _Optional[str] = ..., area_code: _Optional[str] = ..., org_code: _Optional[str] = ...) -> None: ...

class PeriodInfo(_message.Message):
    __slots__ = ("start_date", "end_date", "time_zone", "from_time", "to_time")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    time_zone: str
    from_time: str
    to_time: str
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., time_zone: _Optional[str] = ..., from_time: _Optional[str] = ..., to_time: _Optional[str] = ...) -> None: ...

class TargetInfo(_message.Message):
    __slots__ = ("kpi", "comparison", "threshold", "start", "deadline", "levels", "source", "area_code")
    KPI_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    kpi: str
    comparison: str
    threshold: float
    start: str
    deadline: str
    levels: _containers.RepeatedScalarFieldContainer[str]
    source: str
    area_code: str
    def __init__(self, kpi: _Optional[str] = ..., comparison: _Optional[str] = ..., threshold: _Optional[float] = ..., start: _Optional[str] = ..., deadline: _Optional[str] = ..., levels: _Optional[_Iterable[str]] = ..., source: _Optional[str] = ..., area_code: _Optional[str] = ...) -> None: ...

class Mark(_message.Message):
    __slots__ = ("kpi", "colour", "reason", "value", "has_value", "target")
    KPI_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    HAS_VALUE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    kpi: str
    colour: str
    reason: str
    value: float
    has_value: bool
    target: TargetInfo
    def __init__(self, kpi: _Optional[str] = ..., colour: _Optional[str] = ..., reason: _Optional[str] = ..., value: _Optional[float] = ..., has_value: _Optional[bool] = ..., target: _Optional[_Union[TargetInfo, _Mapping]] = ...) -> None: ...

class Summary(_message.Message):
    __slots__ = ("visits", "ecard_visits", "physical_visits", "ecard_share", "physical_share", "population", "holders", "coverage", "tertiary_visits", "tertiary_ecard_visits", "tertiary_ecard_share", "rating", "marks", "hospital_cards_refused")
    VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_VISITS_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_SHARE_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_SHARE_FIELD_NUMBER: _ClassVar[int]
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    HOLDERS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    TERTIARY_VISITS_FIELD_NUMBER: _ClassVar[int]
    TERTIARY_ECARD_VISITS_FIELD_NUMBER: _ClassVar[int]
    TERTIARY_ECARD_SHARE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CARDS_REFUSED_FIELD_NUMBER: _ClassVar[int]
    visits: int
    ecard_visits: int
    physical_visits: int
    ecard_share: float
    physical_share: float
    population: int
    holders: int
    coverage: float
    tertiary_visits: int
    tertiary_ecard_visits: int
    tertiary_ecard_share: float
    rating: str
    marks: _containers.RepeatedCompositeFieldContainer[Mark]
    hospital_cards_refused: int
    def __init__(self, visits: _Optional[int] = ..., ecard_visits: _Optional[int] = ..., physical_visits: _Optional[int] = ..., ecard_share: _Optional[float] = ..., physical_share: _Optional[float] = ..., population: _Optional[int] = ..., holders: _Optional[int] = ..., coverage: _Optional[float] = ..., tertiary_visits: _Optional[int] = ..., tertiary_ecard_visits: _Optional[int] = ..., tertiary_ecard_share: _Optional[float] = ..., rating: _Optional[str] = ..., marks: _Optional[_Iterable[_Union[Mark, _Mapping]]] = ..., hospital_cards_refused: _Optional[int] = ...) -> None: ...

class LevelRow(_message.Message):
    __slots__ = ("level", "level_name", "visits", "ecard_visits", "physical_visits", "ecard_share", "physical_share")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    LEVEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_VISITS_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_SHARE_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_SHARE_FIELD_NUMBER: _ClassVar[int]
    level: str
    level_name: str
    visits: int
    ecard_visits: int
    physical_visits: int
    ecard_share: float
    physical_share: float
    def __init__(self, level: _Optional[str] = ..., level_name: _Optional[str] = ..., visits: _Optional[int] = ..., ecard_visits: _Optional[int] = ..., physical_visits: _Optional[int] = ..., ecard_share: _Optional[float] = ..., physical_share: _Optional[float] = ...) -> None: ...

class HospitalRow(_message.Message):
    __slots__ = ("org_code", "org_name", "level", "area_code", "area_name", "visits", "ecard_visits", "physical_visits", "ecard_share", "physical_share", "rating", "marks")
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    ORG_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    AREA_NAME_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_VISITS_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_SHARE_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_SHARE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    org_code: str
    org_name: str
    level: str
    area_code: str
    area_name: str
    visits: int
    ecard_visits: int
    physical_visits: int
    ecard_share: float
    physical_share: float
    rating: str
    marks: _containers.RepeatedCompositeFieldContainer[Mark]
    def __init__(self, org_code: _Optional[str] = ..., org_name: _Optional[str] = ..., level: _Optional[str] = ..., area_code: _Optional[str] = ..., area_name: _Optional[str] = ..., visits: _Optional[int] = ..., ecard_visits: _Optional[int] = ..., physical_visits: _Optional[int] = ..., ecard_share: _Optional[float] = ..., physical_share: _Optional[float] = ..., rating: _Optional[str] = ..., marks: _Optional[_Iterable[_Union[Mark, _Mapping]]] = ...) -> None: ...

class CountyRow(_message.Message):
    __slots__ = ("area_code", "area_name", "population", "holders", "coverage", "visits", "ecard_visits", "physical_visits", "ecard_share", "physical_share", "rating", "marks")
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    AREA_NAME_FIELD_NUMBER: _ClassVar[int]
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    HOLDERS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_VISITS_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_SHARE_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_SHARE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    area_code: str
    area_name: str
    population: int
    holders: int
    coverage: float
    visits: int
    ecard_visits: int
    physical_visits: int
    ecard_share: float
    physical_share: float
    rating: str
    marks: _containers.RepeatedCompositeFieldContainer[Mark]
    def __init__(self, area_code: _Optional[str] = ..., area_name: _Optional[str] = ..., population: _Optional[int] = ..., holders: _Optional[int] = ..., coverage: _Optional[float] = ..., visits: _Optional[int] = ..., ecard_visits: _Optional[int] = ..., physical_visits: _Optional[int] = ..., ecard_share: _Optional[float] = ..., physical_share: _Optional[float] = ..., rating: _Optional[str] = ..., marks: _Optional[_Iterable[_Union[Mark, _Mapping]]] = ...) -> None: ...

class TrendPoint(_message.Message):
    __slots__ = ("week_start", "week_end", "visits", "ecard_visits", "physical_visits", "ecard_share", "physical_share", "holders", "coverage")
    WEEK_START_FIELD_NUMBER: _ClassVar[int]
    WEEK_END_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_VISITS_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_VISITS_FIELD_NUMBER: _ClassVar[int]
    ECARD_SHARE_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_SHARE_FIELD_NUMBER: _ClassVar[int]
    HOLDERS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    week_start: str
    week_end: str
    visits: int
    ecard_visits: int
    physical_visits: int
    ecard_share: float
    physical_share: float
    holders: int
    coverage: float
    def __init__(self, week_start: _Optional[str] = ..., week_end: _Optional[str] = ..., visits: _Optional[int] = ..., ecard_visits: _Optional[int] = ..., physical_visits: _Optional[int] = ..., ecard_share: _Optional[float] = ..., physical_share: _Optional[float] = ..., holders: _Optional[int] = ..., coverage: _Optional[float] = ...) -> None: ...

class KpiReport(_message.Message):
    __slots__ = ("period", "area_code", "area_name", "org_code", "summary", "levels", "hospitals", "counties", "trend", "targets", "pilot", "groups")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    AREA_NAME_FIELD_NUMBER: _ClassVar[int]
    ORG_CODE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    HOSPITALS_FIELD_NUMBER: _ClassVar[int]
    COUNTIES_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    PILOT_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    period: PeriodInfo
    area_code: str
    area_name: str
    org_code: str
    summary: Summary
    levels: _containers.RepeatedCompositeFieldContainer[LevelRow]
    hospitals: _containers.RepeatedCompositeFieldContainer[HospitalRow]
    counties: _containers.RepeatedCompositeFieldContainer[CountyRow]
    trend: _containers.RepeatedCompositeFieldContainer[TrendPoint]
    targets: _containers.RepeatedCompositeFieldContainer[TargetInfo]
    pilot: CountyRow
    groups: _containers.RepeatedCompositeFieldContainer[GroupRow]
    def __init__(self, period: _Optional[_Union[PeriodInfo, _Mapping]] = ..., area_code: _Optional[str] = ..., area_name: _Optional[str] = ..., org_code: _Optional[str] = ..., summary: _Optional[_Union[Summary, _Mapping]] = ..., levels: _Optional[_Iterable[_Union[LevelRow, _Mapping]]] = ..., hospitals: _Optional[_Iterable[_Union[HospitalRow, _Mapping]]] = ..., counties: _Optional[_Iterable[_Union[CountyRow, _Mapping]]] = ..., trend: _Optional[_Iterable[_Union[TrendPoint, _Mapping]]] = ..., targets: _Optional[_Iterable[_Union[TargetInfo, _Mapping]]] = ..., pilot: _Optional[_Union[CountyRow, _Mapping]] = ..., groups: _Optional[_Iterable[_Union[GroupRow, _Mapping]]] = ...) -> None: ...

class GroupRow(_message.Message):
    __slots__ = ("group", "kpi", "name", "members", "holders", "coverage", "rating", "marks", "population")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    KPI_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    HOLDERS_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    group: str
    kpi: str
    name: str
    members: int
    holders: int
    coverage: float
    rating: str
    marks: _containers.RepeatedCompositeFieldContainer[Mark]
    population: int
    def __init__(self, group: _Optional[str] = ..., kpi: _Optional[str] = ..., name: _Optional[str] = ..., members: _Optional[int] = ..., holders: _Optional[int] = ..., coverage: _Optional[float] = ..., rating: _Optional[str] = ..., marks: _Optional[_Iterable[_Union[Mark, _Mapping]]] = ..., population: _Optional[int] = ...) -> None: ...

class Rating(_message.Message):
    __slots__ = ("entity", "code", "name", "level", "area_code", "visits", "kpi", "colour", "reason", "value", "has_value", "target")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    KPI_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    HAS_VALUE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    entity: str
    code: str
    name: str
    level: str
    area_code: str
    visits: int
    kpi: str
    colour: str
    reason: str
    value: float
    has_value: bool
    target: TargetInfo
    def __init__(self, entity: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[str] = ..., area_code: _Optional[str] = ..., visits: _Optional[int] = ..., kpi: _Optional[str] = ..., colour: _Optional[str] = ..., reason: _Optional[str] = ..., value: _Optional[float] = ..., has_value: _Optional[bool] = ..., target: _Optional[_Union[TargetInfo, _Mapping]] = ...) -> None: ...

class RatingReport(_message.Message):
    __slots__ = ("period", "area_code", "ratings", "rule")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    period: PeriodInfo
    area_code: str
    ratings: _containers.RepeatedCompositeFieldContainer[Rating]
    rule: str
    def __init__(self, period: _Optional[_Union[PeriodInfo, _Mapping]] = ..., area_code: _Optional[str] = ..., ratings: _Optional[_Iterable[_Union[Rating, _Mapping]]] = ..., rule: _Optional[str] = ...) -> None: ...

class WeekCount(_message.Message):
    __slots__ = ("week_start", "week_end", "blue", "yellow", "red", "unrated")
    WEEK_START_FIELD_NUMBER: _ClassVar[int]
    WEEK_END_FIELD_NUMBER: _ClassVar[int]
    BLUE_FIELD_NUMBER: _ClassVar[int]
    YELLOW_FIELD_NUMBER: _ClassVar[int]
    RED_FIELD_NUMBER: _ClassVar[int]
    UNRATED_FIELD_NUMBER: _ClassVar[int]
    week_start: str
    week_end: str
    blue: int
    yellow: int
    red: int
    unrated: int
    def __init__(self, week_start: _Optional[str] = ..., week_end: _Optional[str] = ..., blue: _Optional[int] = ..., yellow: _Optional[int] = ..., red: _Optional[int] = ..., unrated: _Optional[int] = ...) -> None: ...

class Escalation(_message.Message):
    __slots__ = ("entity", "code", "name", "red_weeks", "reds")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RED_WEEKS_FIELD_NUMBER: _ClassVar[int]
    REDS_FIELD_NUMBER: _ClassVar[int]
    entity: str
    code: str
    name: str
    red_weeks: _containers.RepeatedScalarFieldContainer[str]
    reds: int
    def __init__(self, entity: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., red_weeks: _Optional[_Iterable[str]] = ..., reds: _Optional[int] = ...) -> None: ...

class EscalationReport(_message.Message):
    __slots__ = ("period", "area_code", "threshold_reds", "weeks", "escalations")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_REDS_FIELD_NUMBER: _ClassVar[int]
    WEEKS_FIELD_NUMBER: _ClassVar[int]
    ESCALATIONS_FIELD_NUMBER: _ClassVar[int]
    period: PeriodInfo
    area_code: str
    threshold_reds: int
    weeks: _containers.RepeatedCompositeFieldContainer[WeekCount]
    escalations: _containers.RepeatedCompositeFieldContainer[Escalation]
    def __init__(self, period: _Optional[_Union[PeriodInfo, _Mapping]] = ..., area_code: _Optional[str] = ..., threshold_reds: _Optional[int] = ..., weeks: _Optional[_Iterable[_Union[WeekCount, _Mapping]]] = ..., escalations: _Optional[_Iterable[_Union[Escalation, _Mapping]]] = ...) -> None: ...

class ExportCsvRequest(_message.Message):
    __slots__ = ("query", "table")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    query: KpiRequest
    table: str
    def __init__(self, query: _Optional[_Union[KpiRequest, _Mapping]] = ..., table: _Optional[str] = ...) -> None: ...

class CsvFile(_message.Message):
    __slots__ = ("filename", "content_type", "content")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    filename: str
    content_type: str
    content: bytes
    def __init__(self, filename: _Optional[str] = ..., content_type: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class PopulationFigure(_message.Message):
    __slots__ = ("area_code", "population", "group")
    AREA_CODE_FIELD_NUMBER: _ClassVar[int]
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    area_code: str
    population: int
    group: str
    def __init__(self, area_code: _Optional[str] = ..., population: _Optional[int] = ..., group: _Optional[str] = ...) -> None: ...

class SetPopulationRequest(_message.Message):
    __slots__ = ("figures", "source")
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    figures: _containers.RepeatedCompositeFieldContainer[PopulationFigure]
    source: str
    def __init__(self, figures: _Optional[_Iterable[_Union[PopulationFigure, _Mapping]]] = ..., source: _Optional[str] = ...) -> None: ...

class SetPopulationResponse(_message.Message):
    __slots__ = ("written",)
    WRITTEN_FIELD_NUMBER: _ClassVar[int]
    written: int
    def __init__(self, written: _Optional[int] = ...) -> None: ...

class BenchResult(_message.Message):
    __slots__ = ("index", "sample_id", "expected", "typed", "correct", "millis", "verdict")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    TYPED_FIELD_NUMBER: _ClassVar[int]
    CORRECT_FIELD_NUMBER: _ClassVar[int]
    MILLIS_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    index: int
    sample_id: str
    expected: str
    typed: str
    correct: bool
    millis: float
    verdict: str
    def __init__(self, index: _Optional[int] = ..., sample_id: _Optional[str] = ..., expected: _Optional[str] = ..., typed: _Optional[str] = ..., correct: _Optional[bool] = ..., millis: _Optional[float] = ..., verdict: _Optional[str] = ...) -> None: ...

class BenchRun(_message.Message):
    __slots__ = ("run_id", "scanner", "operator", "started_at", "results", "codes_total", "codes_correct", "misreads", "median_millis", "created_at")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SCANNER_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CODES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CODES_CORRECT_FIELD_NUMBER: _ClassVar[int]
    MISREADS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_MILLIS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    scanner: str
    operator: str
    started_at: str
    results: _containers.RepeatedCompositeFieldContainer[BenchResult]
    codes_total: int
    codes_correct: int
    misreads: int
    median_millis: float
    created_at: str
    def __init__(self, run_id: _Optional[str] = ..., scanner: _Optional[str] = ..., operator: _Optional[str] = ..., started_at: _Optional[str] = ..., results: _Optional[_Iterable[_Union[BenchResult, _Mapping]]] = ..., codes_total: _Optional[int] = ..., codes_correct: _Optional[int] = ..., misreads: _Optional[int] = ..., median_millis: _Optional[float] = ..., created_at: _Optional[str] = ...) -> None: ...

class BenchRunAck(_message.Message):
    __slots__ = ("run_id", "created_at")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    created_at: str
    def __init__(self, run_id: _Optional[str] = ..., created_at: _Optional[str] = ...) -> None: ...

class ListBenchRunsRequest(_message.Message):
    __slots__ = ("run_id", "limit")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    limit: int
    def __init__(self, run_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListBenchRunsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[BenchRun]
    def __init__(self, runs: _Optional[_Iterable[_Union[BenchRun, _Mapping]]] = ...) -> None: ...
