import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A Helm chart with one Deployment (2 replicas, image `.Values.image`) and its Service. */
const TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

/** Writes the tiny chart into `dir` (created) with `image` as the default value; returns `dir`. */
export async function writeTinyChart(dir: string, image: string): Promise<string> {
  const files: Record<string, string> = {
    'Chart.yaml': 'apiVersion: v2\nname: tiny\nversion: 0.1.0\nappVersion: "1.0"\n',
    'values.yaml': `image: ${image}\n`,
    'templates/web.yaml': TEMPLATE,
  };
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}
