// The shape every dashboard under dashboards/grafana/ must have: Grafana's published
// dashboard schema (the `Dashboard` type of the npm package @grafana/schema), with each
// panel's options and custom field config checked against its panel plugin's schema
// from the same package. tests/dashboards.rs writes one `satisfies SansoDashboard`
// check per dashboard file and runs the TypeScript compiler over it: a misspelt key, a
// value outside an enum or a missing required option fails the test.

import type { Dashboard, FieldConfig, FieldConfigSource, Panel, RowPanel } from '@grafana/schema';
import type { Options as BarGaugeOptions } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type {
  FieldConfig as TableFieldConfig,
  Options as TableOptions,
} from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { Options as TextOptions } from '@grafana/schema/dist/esm/raw/composable/text/panelcfg/x/TextPanelCfg_types.gen';
import type {
  FieldConfig as TimeSeriesFieldConfig,
  Options as TimeSeriesOptions,
} from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/** A type as JSON spells it: a string enum becomes the union of its values. */
type Json<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Json<U>>
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

/** A query of the Prometheus data source, as Grafana saves it. */
interface PrometheusTarget {
  datasource: { type: 'prometheus'; uid: string };
  editorMode?: 'code' | 'builder';
  expr: string;
  format?: 'time_series' | 'table' | 'heatmap';
  instant?: boolean;
  interval?: string;
  legendFormat?: string;
  range?: boolean;
  refId: string;
}

/** Field config whose `custom` part is the panel plugin's own. */
type FieldConfigOf<Custom> = Omit<Json<FieldConfigSource>, 'defaults'> & {
  defaults: Omit<Json<FieldConfig>, 'custom'> & { custom?: Json<Custom> };
};

/** A panel of plugin `Type` that queries Prometheus. */
type QueryPanel<Type extends string, Options, Custom> = Omit<Json<Panel>, 'type' | 'options' | 'fieldConfig' | 'targets'> & {
  type: Type;
  options: Json<Options>;
  fieldConfig: FieldConfigOf<Custom>;
  targets: PrometheusTarget[];
};

type TextPanel = Omit<Json<Panel>, 'type' | 'options' | 'targets'> & { type: 'text'; options: Json<TextOptions> };

type NoCustom = Record<string, never>;

export type SansoPanel =
  | QueryPanel<'timeseries', TimeSeriesOptions, TimeSeriesFieldConfig>
  | QueryPanel<'stat', StatOptions, NoCustom>
  | QueryPanel<'bargauge', BarGaugeOptions, NoCustom>
  | QueryPanel<'table', TableOptions, TableFieldConfig>
  | TextPanel
  | (Omit<Json<RowPanel>, 'panels'> & { panels: [] });

export type SansoDashboard = Omit<Json<Dashboard>, 'panels'> & { panels: SansoPanel[] };
