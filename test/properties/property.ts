// One named property-based check of a parser: random/mutated inputs end in a valid result or a named error.
import type { IProperty, IAsyncProperty } from 'fast-check';
export interface NamedProperty { name: string; property: IProperty<any> | IAsyncProperty<any> }
