// Example prompts that show the range of the method: copying and structured output go
// several tokens per step, free text fewer. Phrased like the shipped model's training tasks.
export interface ExamplePrompt {
  label: string;
  prompt: string;
}

export const EXAMPLE_PROMPTS: readonly ExamplePrompt[] = [
  {
    label: 'Copying',
    prompt:
      'Copy the following text word for word.\n\nShe filled a big pitcher and set it, with glasses, on a tray. Carrying it to the living room, she imagined the picture she made.',
  },
  { label: 'JSON', prompt: 'Make a JSON object with pet = owl, score = 11, city = Madrid.' },
  { label: 'Counting', prompt: 'Count down from 18 to 4.' },
  { label: 'Arithmetic', prompt: 'Calculate 63 - 10 step by step.' },
  {
    label: 'Table',
    prompt: 'Make a markdown table with columns city, year from these records: Berlin, 1946; Madrid, 1903; Vienna, 1954; Berlin, 1923.',
  },
  {
    label: 'Free text',
    prompt: 'Here is the beginning of a paragraph. Continue it.\nThe next morning, while the house was still quiet, he walked down to the river.',
  },
];
