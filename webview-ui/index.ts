/** The webview bundle's entry (dist/webview/main.js): the only place that acquires the VS Code API. */
import { start } from './main';

declare function acquireVsCodeApi(): import('./api').VsCodeApi;
start(acquireVsCodeApi(), document.getElementById('app')!);
