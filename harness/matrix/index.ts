export { isCompatible, PLATFORM_METHODS, platformsFor } from './compat.js';
export {
  BUILTIN_AXES,
  baseCellId,
  type CellAxes,
  cellKey,
  expandMatrix,
  flatAxes,
  formatPathValue,
  matchesCell,
  resolveInclude,
} from './expand.js';
export { filterCells } from './filter.js';
